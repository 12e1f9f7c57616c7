"""EGTS: decode(encode(x)) == x, and fuzzing (the decoder never raises, always terminates)."""

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shekara.telemetry.protocols.egts import (
    AdSensorsData,
    AuthInfo,
    ExtPosData,
    PacketType,
    PosData,
    Result,
    Service,
    StateData,
    Subrecord,
    TermIdentity,
    decode,
    encode_ad_sensors,
    encode_appdata,
    encode_auth_info,
    encode_auth_packet,
    encode_ext_pos_data,
    encode_fix_packet,
    encode_packet,
    encode_pos_data,
    encode_record,
    encode_state,
    encode_subrecord,
    encode_term_identity,
    pos_data_from_fix,
)
from shekara.telemetry.protocols.egts.constants import EPOCH, LAT_SCALE, LON_SCALE
from shekara.telemetry.protocols.egts.subrecords import (
    encode_counters,
    encode_loopin,
    parse_ad_sensors,
    parse_auth_info,
    parse_counters,
    parse_ext_pos_data,
    parse_loopin,
    parse_pos_data,
    parse_state,
    parse_term_identity,
)


@st.composite
def pos_data(draw: st.DrawFn) -> PosData:
    """Positions on the EGTS grid, so that encoding loses nothing."""
    lat = draw(st.integers(0, 0xFFFFFFFF)) / LAT_SCALE
    lon = draw(st.integers(0, 0xFFFFFFFF)) / LON_SCALE
    alt = draw(st.none() | st.integers(-0xFFFFFF, 0xFFFFFF))
    return PosData(
        time=EPOCH + timedelta(seconds=draw(st.integers(0, 0xFFFFFFFF))),
        lat=-lat if draw(st.booleans()) else lat,
        lon=-lon if draw(st.booleans()) else lon,
        valid=draw(st.booleans()),
        fix3d=draw(st.booleans()),
        pz90=draw(st.booleans()),
        blackbox=draw(st.booleans()),
        moving=draw(st.booleans()),
        speed_kmh=draw(st.integers(0, 0x3FFF)) / 10,
        course_deg=draw(st.integers(0, 511)),
        odometer_km=draw(st.integers(0, 0xFFFFFF)) / 10,
        inputs=draw(st.integers(0, 255)),
        source=draw(st.integers(0, 255)),
        altitude_m=alt,
        source_data=draw(st.none() | st.integers(0, 0xFFFF)),
    )


dop = st.none() | st.integers(0, 0xFFFF).map(lambda v: v / 100)
ext_pos = st.builds(
    ExtPosData,
    vdop=dop,
    hdop=dop,
    pdop=dop,
    satellites=st.none() | st.integers(0, 255),
    systems=st.none() | st.integers(0, 0xFFFF),
)
volts = st.integers(0, 255).map(lambda v: v / 10)
state = st.builds(
    StateData,
    state=st.integers(0, 255),
    main_v=volts,
    backup_v=volts,
    internal_v=volts,
    backup_used=st.booleans(),
    internal_used=st.booleans(),
    nav_on=st.booleans(),
)
ad_sensors = st.builds(
    AdSensorsData,
    digital=st.dictionaries(st.integers(1, 8), st.integers(0, 255)),
    outputs=st.integers(0, 255),
    analog=st.dictionaries(st.integers(1, 8), st.integers(0, 0xFFFFFF)),
)
term_identity = st.builds(
    TermIdentity,
    tid=st.integers(0, 0xFFFFFFFF),
    hdid=st.none() | st.integers(0, 0xFFFF),
    imei=st.none() | st.text("0123456789", min_size=15, max_size=15),
    imsi=st.none() | st.text("0123456789", min_size=16, max_size=16),
    lngc=st.none() | st.sampled_from(["rus", "eng", "kaz"]),
    ssra=st.booleans(),
    nid=st.none() | st.integers(0, 0xFFFFFF),
    bs=st.none() | st.integers(0, 0xFFFF),
    msisdn=st.none() | st.text("0123456789", min_size=15, max_size=15),
)
names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=32)
auth_info = st.builds(AuthInfo, user=names, password=names, server_sequence=st.none() | names)


@given(pos_data())
def test_pos_data_roundtrip(pos: PosData) -> None:
    data = encode_pos_data(pos)
    assert parse_pos_data(data, 0, len(data)) == pos


@given(ext_pos)
def test_ext_pos_data_roundtrip(ext: ExtPosData) -> None:
    data = encode_ext_pos_data(ext)
    assert parse_ext_pos_data(data, 0, len(data)) == ext


@given(state)
def test_state_data_roundtrip(value: StateData) -> None:
    data = encode_state(value)
    assert parse_state(data, 0, len(data)) == value


@given(ad_sensors, st.dictionaries(st.integers(1, 8), st.integers(0, 0xFFFFFF)))
def test_sensors_and_counters_roundtrip(ad: AdSensorsData, counters: dict[int, int]) -> None:
    data = encode_ad_sensors(ad)
    assert parse_ad_sensors(data, 0, len(data)) == ad
    data = encode_counters(counters)
    assert parse_counters(data, 0, len(data)) == counters


@given(term_identity, auth_info)
def test_auth_subrecords_roundtrip(ident: TermIdentity, info: AuthInfo) -> None:
    data = encode_term_identity(ident)
    assert parse_term_identity(data, 0, len(data)) == ident
    data = encode_auth_info(info)
    assert parse_auth_info(data, 0, len(data)) == info


@given(
    st.lists(st.tuples(pos_data(), st.none() | ext_pos, st.none() | state), min_size=1, max_size=5),
    st.integers(0, 0xFFFF),
    st.none() | st.integers(0, 0xFFFFFFFF),
)
def test_packet_roundtrip(
    items: list[tuple[PosData, ExtPosData | None, StateData | None]], pid: int, oid: int | None
) -> None:
    records = []
    for rn, (pos, ext, st_) in enumerate(items):
        subs = encode_subrecord(Subrecord.POS_DATA, encode_pos_data(pos))
        if ext is not None:
            subs += encode_subrecord(Subrecord.EXT_POS_DATA, encode_ext_pos_data(ext))
        if st_ is not None:
            subs += encode_subrecord(Subrecord.STATE_DATA, encode_state(st_))
        records.append(encode_record(rn, Service.TELEDATA, subs, oid=oid if rn == 0 else None))
    pkt = encode_appdata(records, pid)
    result = decode(pkt, device_id="dev")
    assert result.result == Result.OK
    assert result.consumed == len(pkt)
    assert result.pid == pid
    assert [r.rn for r in result.records] == list(range(len(items)))
    assert len(result.fixes) == len(items)
    for fix, (pos, ext, st_) in zip(result.fixes, items, strict=True):
        assert fix.device_id == "dev"
        assert (fix.fix_time, fix.lat, fix.lon, fix.valid, fix.blackbox) == (
            pos.time,
            pos.lat,
            pos.lon,
            pos.valid,
            pos.blackbox,
        )
        assert fix.speed_kmh == pos.speed_kmh
        assert fix.course_deg == pos.course_deg
        assert fix.altitude_m == pos.altitude_m
        assert fix.hdop == (ext.hdop if ext else None)
        assert fix.satellites == (ext.satellites if ext else None)
        if st_ is not None:
            assert fix.params["power_v"] == st_.main_v
        if oid is not None:
            assert fix.params["oid"] == oid  # carried forward to the following records
    # the response decodes as a PT_RESPONSE confirming every record
    reply = decode(result.response(pid=9, first_rn=100))
    assert reply.packet_type == PacketType.RESPONSE
    assert reply.response_to == (pid, 0)
    assert [c.crn for c in reply.confirmations] == list(range(len(items)))


def _drain(buf: bytes) -> None:
    """Decode a stream like the gateway does; must terminate without raising."""
    while buf:
        result = decode(buf)
        assert 0 <= result.consumed <= len(buf)
        if result.pid is not None and result.needs_response:
            result.response(pid=1, first_rn=0)
        if result.need_more or result.fatal:
            return
        buf = buf[result.consumed :]


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    _drain(data)
    _drain(b"\x01" + data)


@settings(max_examples=500)
@given(st.binary(max_size=300), st.integers(0, 0xFFFF), st.sampled_from([0, 1, 2, 7]))
def test_random_frame_data_with_valid_checksums_never_raises(
    sfrd: bytes, pid: int, packet_type: int
) -> None:
    _drain(encode_packet(packet_type, sfrd, pid))


@settings(max_examples=300)
@given(pos_data(), st.integers(0, 200), st.integers(0, 255), st.data())
def test_mutated_and_truncated_packets_never_raise(
    pos: PosData, where: int, value: int, data: st.DataObject
) -> None:
    subs = encode_subrecord(Subrecord.POS_DATA, encode_pos_data(pos))
    pkt = bytearray(encode_appdata([encode_record(1, Service.TELEDATA, subs, oid=5)], 1))
    cut = data.draw(st.integers(0, len(pkt)))
    assert decode(bytes(pkt[:cut])).need_more or cut == len(pkt)
    pkt[where % len(pkt)] = value
    _drain(bytes(pkt))
    # the same mutation inside the frame data, with checksums recomputed
    sfrd = bytearray(pkt[11:-2])
    sfrd[where % len(sfrd)] = value
    _drain(encode_packet(PacketType.APPDATA, bytes(sfrd), 1))


@given(st.lists(pos_data(), min_size=1, max_size=5), st.integers(0, 0xFFFF))
def test_fix_packet_encoder_is_the_inverse_of_decode(positions: list[PosData], pid: int) -> None:
    """Terminal-side encoding from Fix records (the simulator's path) loses nothing."""
    records = [
        encode_record(i, Service.TELEDATA, encode_subrecord(Subrecord.POS_DATA, encode_pos_data(p)))
        for i, p in enumerate(positions)
    ]
    fixes = decode(encode_appdata(records, pid), device_id="d").fixes
    assert [pos_data_from_fix(f) for f in fixes] == positions
    again = decode(encode_fix_packet(fixes, pid), device_id="d").fixes
    assert again == fixes
    for fix, pos in zip(fixes, positions, strict=True):
        assert fix.params["moving"] == pos.moving
        assert fix.params["fix3d"] == pos.fix3d
        assert fix.params["pz90"] == pos.pz90
        assert fix.params["odometer_km"] == pos.odometer_km
        assert fix.params["inputs"] == pos.inputs
        assert fix.params["event_code"] == pos.source
        assert fix.params.get("event_data") == pos.source_data


@given(term_identity, st.none() | auth_info, st.integers(0, 0xFFFF))
def test_auth_packet_roundtrip(ident: TermIdentity, info: AuthInfo | None, pid: int) -> None:
    result = decode(encode_auth_packet(pid, 1, ident, info))
    assert result.identities == (ident,)
    assert result.auth_infos == (() if info is None else (info,))
    assert result.records[0].service == Service.AUTH


@given(st.dictionaries(st.integers(1, 8), st.integers(0, 15)))
def test_loop_inputs_roundtrip(states: dict[int, int]) -> None:
    data = encode_loopin(states)
    assert parse_loopin(data, 0, len(data)) == states
