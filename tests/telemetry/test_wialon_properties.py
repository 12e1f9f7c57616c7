"""Wialon IPS: decode(encode(fix)) == fix, and fuzzing (only ProtocolError, always terminates)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shekara.telemetry.protocols.errors import ProtocolError
from shekara.telemetry.protocols.fix import Fix, ParamValue
from shekara.telemetry.protocols.wialon import (
    compress_frame,
    decode_frame,
    derive_alarms,
    encode_blackbox,
    encode_d,
    encode_login,
    encode_sd,
    parse_udp_datagram,
    split_frame,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def coordinate(max_degrees: int) -> st.SearchStrategy[float | None]:
    """Coordinates on the DDMM.MMMM grid, so that encoding loses nothing."""

    def build(t: tuple[int, int, bool]) -> float:
        value = t[0] + (t[1] / 10000) / 60
        return -value if t[2] else value

    grid = st.tuples(st.integers(0, max_degrees - 1), st.integers(0, 599999), st.booleans())
    return st.none() | grid.map(build)


times = st.integers(0, 99 * 365 * 86400).map(
    lambda s: datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)
numbers = st.none() | st.integers(0, 2000).map(float) | st.integers(0, 20000).map(lambda v: v / 10)
param_values: st.SearchStrategy[ParamValue] = (
    st.integers(-(2**62), 2**62)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(ALNUM + " .:-_", max_size=20)
)
param_names = st.text(ALNUM + "_", min_size=1, max_size=12).filter(
    lambda n: n not in ("inputs", "outputs", "ibutton") and not n.startswith("adc")
)


@st.composite
def fixes(draw: st.DrawFn, extended: bool, blackbox: bool = False) -> Fix:
    lat, lon = draw(coordinate(90)), draw(coordinate(180))
    params: dict[str, ParamValue] = {}
    hdop = None
    if extended:
        hdop = draw(st.none() | st.integers(0, 999).map(lambda v: v / 10))
        for key in ("inputs", "outputs"):
            value = draw(st.none() | st.integers(0, 2**31))
            if value is not None:
                params[key] = value
        for n in range(1, draw(st.integers(0, 4)) + 1):
            params[f"adc{n}"] = draw(st.integers(-10000, 10000)) / 100
        ibutton = draw(st.none() | st.text(ALNUM, min_size=1, max_size=16))
        if ibutton is not None:
            params["ibutton"] = ibutton
        params.update(draw(st.dictionaries(param_names, param_values, max_size=5)))
        if draw(st.booleans()):
            params["SOS"] = draw(st.integers(0, 1))
    return Fix(
        device_id="dev",
        fix_time=draw(times),
        lat=lat,
        lon=lon,
        valid=lat is not None and lon is not None,
        speed_kmh=draw(numbers),
        course_deg=draw(st.none() | st.integers(0, 359).map(float)),
        altitude_m=draw(st.none() | st.integers(-500, 9000).map(float)),
        satellites=draw(st.none() | st.integers(0, 40)),
        hdop=hdop,
        blackbox=blackbox,
        received_at=NOW,
        protocol="wialon_ips",
        alarms=derive_alarms(params),
        params=params,
    )


def _decode(frame: bytes, version: str) -> tuple[Fix, ...]:
    assert frame.endswith(b"\r\n")
    result = decode_frame(frame[:-2], version=version, device_id="dev", received_at=NOW)
    assert result.ok, result.error
    return result.fixes


@given(fixes(extended=False), st.sampled_from(["1.1", "2.0"]))
def test_short_data_roundtrip(fix: Fix, version: str) -> None:
    assert _decode(encode_sd(fix, version), version) == (fix,)


@given(fixes(extended=True), st.sampled_from(["1.1", "2.0"]))
def test_extended_data_roundtrip(fix: Fix, version: str) -> None:
    assert _decode(encode_d(fix, version), version) == (fix,)


@given(
    st.lists(fixes(extended=True, blackbox=True), min_size=1, max_size=10),
    st.sampled_from(["1.1", "2.0"]),
)
def test_blackbox_roundtrip(items: list[Fix], version: str) -> None:
    frame = encode_blackbox(items, version)
    assert _decode(frame, version) == tuple(items)
    result = decode_frame(frame[:-2], version=version, device_id="dev", received_at=NOW)
    assert result.answer == f"#AB#{len(items)}\r\n".encode()


@given(st.text(ALNUM, min_size=1, max_size=20), st.none() | st.text(ALNUM, min_size=1))
def test_login_roundtrip(imei: str, password: str | None) -> None:
    for version in ("1.1", "2.0"):
        login = decode_frame(encode_login(imei, password, version)[:-2]).login
        assert login is not None
        assert (login.version, login.imei, login.password) == (version, imei, password)


@settings(max_examples=500)
@given(st.binary(max_size=300), st.sampled_from(["1.1", "2.0"]))
def test_random_frames_never_raise(data: bytes, version: str) -> None:
    decode_frame(data, version=version, received_at=NOW)
    for kind in (b"#SD#", b"#D#", b"#B#", b"#L#", b"#M#"):
        result = decode_frame(kind + data, version=version, received_at=NOW)
        assert result.ok or result.fixes == ()


@settings(max_examples=300)
@given(st.text(";|,:.NASEW0123456789²", max_size=200), st.sampled_from(["1.1", "2.0"]))
def test_plausible_text_never_raises(text: str, version: str) -> None:
    for kind in ("SD", "D", "B"):
        decode_frame(f"#{kind}#{text}".encode(), version=version, received_at=NOW)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_stream_splitting_terminates_with_protocol_errors_only(data: bytes) -> None:
    buf = data
    for candidate in (buf, compress_frame(buf) + buf):
        rest = candidate
        try:
            while rest:
                frame, used = split_frame(rest, max_frame=256)
                if frame is None:
                    break
                assert used > 0
                rest = rest[used:]
        except ProtocolError:
            pass
    try:
        parse_udp_datagram(data)
    except ProtocolError:
        pass
