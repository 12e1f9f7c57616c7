"""Trafficking corridors, seasonality and commodity profiles behind the synthetic incidents.

Compiled from the public reporting summarised in the domain notes: Afghan opiates on the
"northern route" through Tajikistan/Kyrgyzstan/Uzbekistan and Kazakhstan to Russia; cannabis from
the Chu valley harvested in late summer; caviar poaching on the Caspian in the spawning seasons;
synthetic drugs and psychotropics moving the other way; contraband both ways across the
Kazakhstan-Russia border; labour migration in spring. Shares and months are plausible, not
statistics. When ``refdata/data/corridors.json`` exists its corridors (places, commodities,
seasonality) are used, with the built-in ones it does not describe (see :func:`corridors`).
"""

from __future__ import annotations

from dataclasses import dataclass

from shekara.refdata import loaders as refdata

Weights = tuple[tuple[str, float], ...]
FLAT = (1.0,) * 12


@dataclass(frozen=True)
class Corridor:
    code: str
    name: str
    share: float  # relative share of incidents
    categories: Weights
    commodities: Weights  # empty: incidents without seizures
    checkpoints: tuple[str, ...]
    regions: tuple[str, ...]  # incidents inland, at cities of these regions
    origin: tuple[str, ...]
    transit: tuple[str, ...]
    destination: tuple[str, ...]
    months: tuple[float, ...] = FLAT  # Jan..Dec
    trend: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)  # 2021..2025 multipliers
    green_border: float = 0.1  # share of incidents on the border between checkpoints
    cities: tuple[str, ...] = ()  # more inland places (city codes)


KZ_RU_ROADS = ("kurmangazy", "karaozek", "zhanibek", "taskala", "ozinki-road", "syrym",
               "mashtakovo", "zhaisan", "sagarchin", "kairak", "karakuga", "petukhovo-road",
               "zhana-zhol", "isilkul-road", "veseloyarsk", "auyl")
KZ_RU_RAIL = ("ganyushkino-rail", "aksaraysky-rail", "ozinki-rail", "semiglavy-mar",
              "iletsk-rail", "orsk-rail", "kartaly-rail", "troitsk-rail", "petukhovo-rail",
              "mamlyutka-rail", "isilkul-rail", "karasuk-rail", "kulunda-rail")
KZ_RU_REGIONS = ("kz-atyrau", "kz-west-kazakhstan", "kz-aktobe", "kz-kostanay",
                 "kz-north-kazakhstan", "kz-pavlodar", "kz-east-kazakhstan", "ru-astrakhan",
                 "ru-saratov", "ru-samara", "ru-orenburg", "ru-chelyabinsk", "ru-kurgan",
                 "ru-omsk", "ru-novosibirsk", "ru-altai-krai")

CORRIDORS: tuple[Corridor, ...] = (
    Corridor(
        "northern-route", "Northern route: Afghan opiates via Central Asia to Russia", 16,
        (("drug_trafficking", 1.0),),
        (("heroin", 50), ("hashish", 25), ("opium", 15), ("synthetic_drugs", 5), ("currency", 5)),
        ("nizhny-panj", "ishkashim", "khorog-tem", "termez-ayritom", "karamyk", "bor-dobo",
         "dostuk", "oybek", "korday", "ak-zhol", "zhibek-zholy", "gisht-kuprik", "zhaisan",
         "sagarchin", "kairak", "kurmangazy", "petukhovo-road", "veseloyarsk", "dyu-airport",
         "ala-airport", "tas-airport", "oss-airport", "iletsk-rail", "saryagash-rail"),
        ("tj-khatlon", "tj-gorno-badakhshan", "tj-sughd", "kg-osh", "kg-chuy", "uz-surkhandarya",
         "kz-almaty", "kz-turkistan", "kz-aktobe", "kz-kostanay", "ru-orenburg",
         "ru-chelyabinsk", "ru-astrakhan", "ru-altai-krai"),
        ("AF",), ("TJ", "KG", "UZ", "KZ"), ("RU",),
        months=(0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.2, 1.2, 1.1, 1.1, 0.9, 0.8),
        trend=(1.2, 1.1, 1.0, 0.85, 0.75), green_border=0.15,
    ),
    Corridor(
        "chu-valley-cannabis", "Chu valley cannabis to northern Kazakhstan and Russia", 14,
        (("drug_trafficking", 1.0),),
        (("cannabis", 80), ("hashish", 20)),
        ("kairak", "petukhovo-road", "zhana-zhol", "isilkul-road", "auyl", "zhaisan", "syrym",
         "korday", "karasu-kz-kg", "mamlyutka-rail", "petukhovo-rail"),
        ("kz-jambyl", "kz-almaty", "kz-karaganda", "kz-kostanay", "kz-north-kazakhstan",
         "kz-akmola", "ru-omsk", "ru-chelyabinsk", "ru-novosibirsk", "kg-chuy"),
        ("KZ", "KG"), ("KZ",), ("RU", "KZ"),
        months=(0.4, 0.4, 0.5, 0.6, 0.8, 1.5, 3.5, 7.0, 8.0, 6.0, 1.8, 0.6),
    ),
    Corridor(
        "synthetics", "Synthetic drugs and psychotropics from Russia, Belarus and China", 10,
        (("psychotropics", 0.6), ("drug_trafficking", 0.4)),
        (("synthetic_drugs", 45), ("psychotropic_pills", 40), ("precursors", 15)),
        ("kurmangazy", "taskala", "syrym", "zhaisan", "kairak", "petukhovo-road",
         "khorgos-nur-zholy", "ala-airport", "nqz-airport", "msq-airport", "ovb-airport",
         "fru-airport", "redki"),
        ("kz-almaty-city", "kz-astana-city", "kz-karaganda", "ru-novosibirsk", "ru-omsk",
         "ru-samara", "kg-bishkek-city"),
        ("RU", "BY", "CN"), ("KZ",), ("KZ", "KG", "UZ"),
        trend=(0.6, 0.8, 1.0, 1.3, 1.6),
    ),
    Corridor(
        "caspian-caviar", "Sturgeon poaching and caviar smuggling on the Caspian", 6,
        (("poaching", 1.0),),
        (("sturgeon_caviar", 85), ("currency", 15)),
        ("kurmangazy", "karaozek", "ganyushkino-rail", "aksaraysky-rail", "aktau-port",
         "astrakhan-port", "olya-port", "bautino-port", "makhachkala-port", "gur-airport"),
        ("kz-atyrau", "kz-mangystau", "ru-astrakhan"),
        ("KZ", "RU"), (), ("RU", "KZ", "AZ"),
        months=(0.3, 0.3, 1.5, 4.0, 4.5, 1.5, 0.6, 0.6, 2.5, 3.0, 1.0, 0.3), green_border=0.4,
    ),
    Corridor(
        "china-goods", "Consumer goods from China via Kazakhstan to Russia", 10,
        (("contraband", 1.0),),
        (("consumer_goods", 40), ("cigarettes", 15), ("car_parts", 15), ("food", 10),
         ("currency", 10), ("other", 10)),
        ("khorgos-nur-zholy", "altynkol-rail", "dostyk", "bakhty", "maikapchagai", "kolzhat",
         "kairak", "zhaisan", "petukhovo-road", "irkeshtam", "torugart"),
        ("kz-almaty", "kz-zhetysu", "kz-abai", "kz-east-kazakhstan", "kz-almaty-city",
         "kg-naryn", "kg-osh"),
        ("CN",), ("KZ", "KG"), ("RU", "KZ"),
        months=(0.8, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.3, 1.5),
    ),
    Corridor(
        "kz-ru-contraband", "Contraband both ways across the Kazakhstan-Russia border", 16,
        (("contraband", 0.9), ("illegal_crossing", 0.1)),
        (("alcohol", 18), ("cigarettes", 18), ("food", 14), ("fuel", 14),
         ("non_ferrous_metals", 12), ("timber", 6), ("car_parts", 10), ("consumer_goods", 8)),
        KZ_RU_ROADS + KZ_RU_RAIL, KZ_RU_REGIONS,
        ("KZ", "RU"), (), ("RU", "KZ"), green_border=0.2,
    ),
    Corridor(
        "labour-migration", "Irregular labour migration from Central Asia to Russia", 14,
        (("illegal_migration", 0.45), ("illegal_crossing", 0.3), ("document_fraud", 0.2),
         ("human_trafficking", 0.05)),
        (),
        ("zhibek-zholy", "gisht-kuprik", "kazygurt", "konysbayev", "korday", "ak-zhol",
         "oybek", "dostuk", "kara-suu", "kurmangazy", "zhaisan", "kairak", "taskala",
         "tas-airport", "fru-airport", "dyu-airport", "ala-airport", "saryagash-rail"),
        ("kz-turkistan", "kz-shymkent-city", "kz-almaty-city", "uz-tashkent", "tj-sughd",
         "kg-osh", "ru-orenburg", "ru-samara", "ru-chelyabinsk"),
        ("UZ", "TJ", "KG"), ("KZ",), ("RU", "KZ"),
        months=(0.5, 0.6, 1.4, 1.8, 1.7, 1.2, 0.9, 0.9, 1.0, 1.0, 0.6, 0.4), green_border=0.25,
    ),
    Corridor(
        "weapons", "Weapons and ammunition without documents", 3,
        (("weapons", 0.85), ("terrorism_extremism", 0.15)),
        (("firearms", 45), ("ammunition", 55)),
        ("nizhny-panj", "khorog-tem", "kairak", "zhaisan", "kurmangazy", "korday",
         "zhibek-zholy", "temirbaba", "tazhen"),
        ("tj-khatlon", "kz-mangystau", "kz-aktobe", "ru-orenburg", "ru-astrakhan"),
        ("AF", "RU"), ("TJ", "KZ"), ("KZ", "RU", "KG"),
    ),
    Corridor(
        "stolen-vehicles", "Stolen vehicles from Russia to Central Asia", 5,
        (("stolen_vehicle", 0.8), ("document_fraud", 0.2)),
        (),
        KZ_RU_ROADS + ("korday", "zhibek-zholy", "ak-zhol", "dostuk"),
        ("kz-almaty-city", "kz-shymkent-city", "kz-kostanay", "ru-chelyabinsk",
         "ru-samara"),
        ("RU",), ("KZ",), ("KG", "UZ", "TJ"),
    ),
    Corridor(
        "altai-timber", "Illegal logging and timber in the Altai", 3,
        (("illegal_logging", 1.0),),
        (("timber", 85), ("other", 15)),
        ("veseloyarsk", "auyl", "kulunda-rail", "tashanta"),
        ("kz-east-kazakhstan", "kz-abai", "ru-altai-krai", "ru-altai-republic"),
        ("RU", "KZ"), (), ("KZ", "CN", "RU"),
        months=(0.3, 0.3, 0.5, 0.9, 1.5, 2.0, 2.2, 2.2, 1.8, 1.2, 0.5, 0.3), green_border=0.5,
    ),
    Corridor(
        "cash-couriers", "Cash couriers and money laundering through airports", 3,
        (("money_laundering", 1.0),),
        (("currency", 100),),
        ("ala-airport", "nqz-airport", "tas-airport", "fru-airport", "dyu-airport",
         "ovb-airport", "cek-airport", "ren-airport", "msq-airport"),
        ("kz-almaty-city", "kz-astana-city", "uz-tashkent-city", "kg-bishkek-city"),
        ("RU", "KZ"), (), ("AE", "TR", "UZ", "KZ"),
        months=(1.0, 0.9, 1.0, 1.0, 1.0, 1.0, 1.1, 1.1, 1.0, 1.0, 1.0, 1.3),
    ),
)


@dataclass(frozen=True)
class Commodity:
    """How a commodity is usually seized: unit, median quantity, spread and hiding places."""

    units: tuple[str, ...]
    median: float  # in the first unit
    sigma: float  # of the log-normal
    concealment: Weights
    detection: Weights


_DRUG_HIDE: Weights = (("gas_cylinder", 6), ("under_seat", 14), ("trunk", 14), ("fuel_tank", 6),
                       ("body_cavity", 6), ("luggage", 16), ("cargo", 16),
                       ("false_compartment", 16), ("on_body", 6))
_DRUG_FIND: Weights = (("dog", 30), ("xray", 15), ("tip_off", 20), ("profiling", 15),
                       ("physical_search", 15), ("document_check", 5))
_GOODS_HIDE: Weights = (("cargo", 50), ("false_compartment", 15), ("trunk", 15), ("none", 20))
_GOODS_FIND: Weights = (("xray", 30), ("document_check", 35), ("physical_search", 25),
                        ("tip_off", 10))

COMMODITIES: dict[str, Commodity] = {
    "heroin": Commodity(("kg", "g"), 1.2, 1.3, _DRUG_HIDE, _DRUG_FIND),
    "opium": Commodity(("kg",), 2.5, 1.2, _DRUG_HIDE, _DRUG_FIND),
    "hashish": Commodity(("kg", "g"), 1.5, 1.3, _DRUG_HIDE, _DRUG_FIND),
    "cannabis": Commodity(("kg", "g"), 4.0, 1.5, _DRUG_HIDE + (("cargo", 10),), _DRUG_FIND),
    "cocaine": Commodity(("g",), 150.0, 1.2, _DRUG_HIDE, _DRUG_FIND),
    "synthetic_drugs": Commodity(("g", "kg"), 250.0, 1.4, _DRUG_HIDE, _DRUG_FIND),
    "psychotropic_pills": Commodity(("pcs",), 600.0, 1.3, _DRUG_HIDE, _DRUG_FIND),
    "precursors": Commodity(("l",), 60.0, 1.2, _GOODS_HIDE, _GOODS_FIND),
    "firearms": Commodity(("pcs",), 1.5, 0.8, (("false_compartment", 40), ("trunk", 30),
                                                ("cargo", 20), ("under_seat", 10)), _DRUG_FIND),
    "ammunition": Commodity(("pcs",), 150.0, 1.3, (("false_compartment", 30), ("trunk", 30),
                                                    ("luggage", 20), ("cargo", 20)), _DRUG_FIND),
    "cigarettes": Commodity(("carton", "pack"), 300.0, 1.2, _GOODS_HIDE, _GOODS_FIND),
    "alcohol": Commodity(("l",), 400.0, 1.1, _GOODS_HIDE, _GOODS_FIND),
    "fuel": Commodity(("l", "m3"), 3000.0, 1.0, (("fuel_tank", 60), ("cargo", 40)),
                      _GOODS_FIND),
    "food": Commodity(("kg", "t"), 1500.0, 1.2, _GOODS_HIDE, _GOODS_FIND),
    "consumer_goods": Commodity(("pcs",), 800.0, 1.3, _GOODS_HIDE, _GOODS_FIND),
    "non_ferrous_metals": Commodity(("kg", "t"), 4000.0, 1.0, (("cargo", 80), ("none", 20)),
                                    _GOODS_FIND),
    "timber": Commodity(("m3",), 25.0, 0.8, (("cargo", 80), ("none", 20)),
                        (("patrol", 40), ("document_check", 40), ("surveillance", 20))),
    "car_parts": Commodity(("pcs",), 60.0, 1.1, _GOODS_HIDE, _GOODS_FIND),
    "sturgeon_caviar": Commodity(("kg",), 6.0, 1.1, (("trunk", 30), ("cargo", 25),
                                                      ("false_compartment", 25),
                                                      ("luggage", 20)),
                                 (("patrol", 35), ("tip_off", 25), ("physical_search", 25),
                                  ("dog", 15))),
    "currency": Commodity(("USD", "RUB", "KZT", "EUR"), 40000.0, 1.0,
                          (("luggage", 40), ("on_body", 35), ("false_compartment", 25)),
                          (("xray", 35), ("profiling", 35), ("tip_off", 15),
                           ("physical_search", 15))),
    "other": Commodity(("pcs",), 50.0, 1.2, _GOODS_HIDE, _GOODS_FIND),
}
# Money is counted in each currency's own unit: scale the median by a rough rate to the dollar.
CURRENCY_SCALE = {"USD": 1.0, "EUR": 1.0, "RUB": 90.0, "KZT": 470.0}
UNIT_SCALE = {"g": 1000.0, "t": 0.001, "m3": 0.001, "pack": 10.0}

# Checkpoints where one service inspects on behalf of both countries (demo choice).
JOINT_CHECKPOINTS = frozenset({"zhaisan", "kairak", "korday", "zhana-zhol", "auyl", "syrym",
                               "zhibek-zholy"})


# Free-text commodities of refdata/data/corridors.json -> (threat category, vocabulary commodity).
REFDATA_COMMODITIES: dict[str, tuple[str, str | None]] = {
    "heroin": ("drug_trafficking", "heroin"), "opium": ("drug_trafficking", "opium"),
    "hashish": ("drug_trafficking", "hashish"), "cannabis": ("drug_trafficking", "cannabis"),
    "cocaine": ("drug_trafficking", "cocaine"),
    "methamphetamine": ("drug_trafficking", "synthetic_drugs"),
    "mephedrone": ("drug_trafficking", "synthetic_drugs"),
    "alpha-PVP": ("drug_trafficking", "synthetic_drugs"),
    "precursors": ("drug_trafficking", "precursors"),
    "psychotropic substances": ("psychotropics", "psychotropic_pills"),
    "sturgeon": ("poaching", "sturgeon_caviar"), "black caviar": ("poaching", "sturgeon_caviar"),
    "irregular migrants": ("illegal_migration", None),
    "trafficking in human beings": ("human_trafficking", None),
    "forged documents": ("document_fraud", None),
    "consumer goods": ("contraband", "consumer_goods"),
    "counterfeit goods": ("contraband", "consumer_goods"),
    "undeclared goods": ("contraband", "other"),
    "non-ferrous metals": ("contraband", "non_ferrous_metals"), "fuel": ("contraband", "fuel"),
    "timber": ("contraband", "timber"), "building materials": ("contraband", "other"),
    "car parts": ("contraband", "car_parts"), "stolen vehicles": ("stolen_vehicle", None),
    "forged vehicle documents": ("document_fraud", None),
}
# Shares and trends of the reference corridors (not in the file); unknown ids get the default.
REFDATA_SHARES: dict[str, float] = {
    "northern-route-pamir": 4, "northern-route-aktobe": 5, "northern-route-chui": 4,
    "northern-route-astrakhan": 3, "northern-route-altai": 3, "uzbek-route-termez": 2,
    "turkmen-caspian-route": 2, "caspian-sea-route": 1.5, "caspian-caviar": 6,
    "migrant-smuggling-west": 14, "china-goods-reexport": 10, "synthetics-north-south": 10,
    "metals-fuel-north": 8, "stolen-vehicles-south": 5,
}
OPIATE_TREND = (1.2, 1.1, 1.0, 0.85, 0.75)
SYNTHETIC_TREND = (0.6, 0.8, 1.0, 1.3, 1.6)
DRUG_CODES = frozenset({"heroin", "opium", "hashish", "cannabis", "cocaine", "synthetic_drugs",
                        "precursors"})


def category_of(commodity: str) -> str:
    """The threat category a seizure of ``commodity`` usually belongs to."""
    if commodity in DRUG_CODES:
        return "drug_trafficking"
    return {"psychotropic_pills": "psychotropics", "firearms": "weapons", "ammunition": "weapons",
            "sturgeon_caviar": "poaching", "currency": "money_laundering"}.get(commodity,
                                                                                "contraband")


# Built-in corridors kept next to the reference ones (patterns the file does not describe).
KEEP_BUILT_IN = ("chu-valley-cannabis", "kz-ru-contraband", "weapons", "altai-timber",
                 "cash-couriers")


def _from_refdata(row: refdata.Corridor, place_country: dict[str, str]) -> Corridor | None:
    categories: dict[str, float] = {}
    commodities: dict[str, float] = {}
    for text in row.commodities:
        category, commodity = REFDATA_COMMODITIES.get(str(text), ("other", None))
        categories[category] = categories.get(category, 0.0) + 1.0
        if commodity:
            commodities[commodity] = commodities.get(commodity, 0.0) + 1.0
    checkpoints: list[str] = []
    cities: list[str] = []
    regions: list[str] = []
    countries: list[str] = []
    for ref in row.places:
        kind, _, ident = ref.partition(":")
        if kind == "checkpoint":
            checkpoints.append(ident)
        elif kind == "city":
            cities.append(ident)
        elif kind == "region":
            regions.append(ident)
        country = place_country.get(ident)
        if country and (not countries or countries[-1] != country):
            countries.append(country)
    months = tuple(row.seasonality)
    if not categories or not (checkpoints or cities or regions) or len(months) != 12:
        return None
    cid = row.id
    drugs = set(commodities) & {"heroin", "opium"}
    trend = (OPIATE_TREND if drugs else SYNTHETIC_TREND if "synthetic_drugs" in commodities
             else (1.0,) * 5)
    return Corridor(
        cid, row.names.en or cid, REFDATA_SHARES.get(cid, 4.0),
        tuple(categories.items()), tuple(commodities.items()), tuple(checkpoints),
        tuple(regions), tuple(countries[:1]), tuple(dict.fromkeys(countries[1:-1])),
        tuple(c for c in countries[::-1] if c != countries[0])[:1] or tuple(countries[-1:]),
        months=months, trend=trend,
        green_border=0.4 if "poaching" in categories else 0.15, cities=tuple(cities),
    )


def corridors() -> tuple[Corridor, ...]:
    """The corridors of ``refdata/data/corridors.json`` (with their seasonality) plus the
    built-in ones it does not describe; only the built-in ones when the file is missing."""
    try:
        rows = refdata.load_corridors()
    except FileNotFoundError:
        return CORRIDORS
    place_country: dict[str, str] = {}
    for items in (refdata.load_checkpoints(), refdata.load_cities(), refdata.load_regions()):
        for item in items:
            place_country[item.id] = item.country
    found = [c for row in rows if (c := _from_refdata(row, place_country))]
    if not found:
        return CORRIDORS
    return tuple(found) + tuple(c for c in CORRIDORS if c.code in KEEP_BUILT_IN)
