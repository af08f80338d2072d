"""Reference lists for places and organisations.

Local authority numbers are real English LA codes (all accepted by
``stdnum.gb.upn``); postcode areas and towns match each authority so that a
school's families live near it.
"""

from __future__ import annotations

from typing import NamedTuple


class Area(NamedTuple):
    la_code: str
    la_name: str
    postcode_areas: tuple[str, ...]
    towns: tuple[str, ...]
    landline: str  # an Ofcom drama-reserved prefix; three more digits complete it


ENGLISH_AREAS: tuple[Area, ...] = (
    Area("202", "Camden", ("NW",), ("London",), "020 7946 0"),
    Area("204", "Hackney", ("E",), ("London",), "020 7946 0"),
    Area("209", "Lewisham", ("SE",), ("London",), "020 7946 0"),
    Area("211", "Tower Hamlets", ("E",), ("London",), "020 7946 0"),
    Area("307", "Ealing", ("W",), ("London",), "020 7946 0"),
    Area("312", "Hillingdon", ("UB",), ("Uxbridge", "Hayes"), "020 7946 0"),
    Area("330", "Birmingham", ("B",), ("Birmingham", "Sutton Coldfield"), "0121 496 0"),
    Area("331", "Coventry", ("CV",), ("Coventry",), "01632 960"),
    Area("336", "Wolverhampton", ("WV",), ("Wolverhampton",), "0121 496 0"),
    Area("341", "Liverpool", ("L",), ("Liverpool",), "0151 496 0"),
    Area("352", "Manchester", ("M",), ("Manchester",), "0161 496 0"),
    Area("353", "Oldham", ("OL",), ("Oldham",), "0161 496 0"),
    Area("373", "Sheffield", ("S",), ("Sheffield",), "0114 496 0"),
    Area("380", "Bradford", ("BD",), ("Bradford", "Keighley", "Shipley"), "0113 496 0"),
    Area("381", "Calderdale", ("HX",), ("Halifax", "Brighouse"), "0113 496 0"),
    Area("383", "Leeds", ("LS",), ("Leeds", "Otley", "Wetherby"), "0113 496 0"),
    Area("390", "Gateshead", ("NE",), ("Gateshead",), "0191 498 0"),
    Area("391", "Newcastle upon Tyne", ("NE",), ("Newcastle upon Tyne",), "0191 498 0"),
    Area("801", "Bristol", ("BS",), ("Bristol",), "0117 496 0"),
    Area("815", "North Yorkshire", ("YO", "HG"), ("Harrogate", "Scarborough", "Northallerton"), "01632 960"),
    Area("826", "Milton Keynes", ("MK",), ("Milton Keynes",), "01632 960"),
    Area("840", "County Durham", ("DH", "DL"), ("Durham", "Consett", "Bishop Auckland"), "0191 498 0"),
    Area("850", "Hampshire", ("SO", "PO", "GU"), ("Winchester", "Basingstoke", "Andover"), "01632 960"),
    Area("855", "Leicestershire", ("LE",), ("Loughborough", "Hinckley", "Melton Mowbray"), "0116 496 0"),
    Area("856", "Leicester", ("LE",), ("Leicester",), "0116 496 0"),
    Area("873", "Cambridgeshire", ("CB", "PE"), ("Cambridge", "Ely", "Huntingdon", "St Neots"), "01632 960"),
    Area("878", "Devon", ("EX", "TQ"), ("Exeter", "Barnstaple", "Newton Abbot"), "01632 960"),
    Area("886", "Kent", ("ME", "CT", "TN"), ("Maidstone", "Canterbury", "Ashford", "Tonbridge"), "01632 960"),
    Area("888", "Lancashire", ("PR", "LA", "BB"), ("Preston", "Lancaster", "Chorley"), "01632 960"),
    Area("892", "Nottingham", ("NG",), ("Nottingham",), "0115 496 0"),
    Area("908", "Cornwall", ("TR", "PL"), ("Truro", "St Austell", "Penzance", "Bodmin"), "01632 960"),
    Area("916", "Gloucestershire", ("GL",), ("Gloucester", "Cheltenham", "Stroud"), "01632 960"),
    Area("925", "Lincolnshire", ("LN", "PE"), ("Lincoln", "Boston", "Grantham"), "01632 960"),
    Area("926", "Norfolk", ("NR", "PE"), ("Norwich", "King's Lynn", "Great Yarmouth"), "01632 960"),
    Area("933", "Somerset", ("TA", "BA"), ("Taunton", "Yeovil", "Bridgwater", "Frome"), "01632 960"),
    Area("936", "Surrey", ("GU", "KT"), ("Guildford", "Woking", "Epsom"), "01632 960"),
)

# Schools outside England still carry an English-format LA number here
# because every demo pupil has a UPN that stdnum validates; their addresses
# come from their own nation.
NATION_AREAS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "wales": (("CF", "Cardiff", "029 2018 0"), ("SA", "Swansea", "029 2018 0"),
              ("NP", "Newport", "029 2018 0"), ("LL", "Wrexham", "01632 960"),
              ("SY", "Aberystwyth", "01632 960")),
    "scotland": (("EH", "Edinburgh", "0131 496 0"), ("G", "Glasgow", "0141 496 0"),
                 ("AB", "Aberdeen", "01632 960"), ("DD", "Dundee", "01632 960"),
                 ("IV", "Inverness", "01632 960")),
    "northern-ireland": (("BT", "Belfast", "028 9649 6"), ("BT", "Lisburn", "028 9649 6"),
                         ("BT", "Newry", "028 9649 6"), ("BT", "Derry/Londonderry", "028 9649 6")),
}

STREET_WORDS = (
    "Oak", "Church", "Mill", "Station", "Victoria", "Park", "Chapel", "Albert", "Queen's", "King's",
    "Manor", "Grange", "Elm", "Beech", "Willow", "Ash", "Hawthorn", "Meadow", "Orchard", "Riverside",
    "St Mary's", "Windsor", "York", "Clarence", "Nelson", "Highfield", "Springfield", "Westfield",
    "Brook", "Castle", "Fairview", "Hillside", "Primrose", "Lime", "Cedar", "Bridge", "Market", "Cross",
)
STREET_KINDS = (
    "Road", "Street", "Lane", "Close", "Avenue", "Drive", "Crescent", "Gardens", "Way", "Grove",
    "Terrace", "Place", "Court", "Walk", "View",
)
FLAT_PREFIXES = ("Flat", "Apartment")

# Letters a postcode's inward unit may use (Royal Mail leaves out C I K M O V).
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

SCHOOL_FEATURES = (
    "Oakfield", "Meadowbank", "Riverside", "Hillcrest", "Woodlands", "Brookside", "Greenfield",
    "Kingsway", "Larkrise", "Fairfield", "Ashgrove", "Highfields", "Millbrook", "Beechwood",
    "Castle View", "Heathside", "Parkside", "Westbury", "Longmeadow", "Northgate", "Springvale",
)
SCHOOL_DEDICATIONS = (
    "St Mary's Church of England", "St Joseph's Catholic", "Holy Trinity Church of England",
    "St Patrick's Catholic", "Our Lady's Catholic", "St Peter's Church of England", "Christ Church",
)
WELSH_SCHOOL_NAMES = ("Ysgol Gynradd Bro Taf", "Ysgol Gymraeg Glan Morfa", "Ysgol y Wern",
                      "Ysgol Bryn Coch", "Ysgol Gyfun Cwm Rhymni", "Ysgol Penrhyn")
TRUST_WORDS = ("Learning Trust", "Academy Trust", "Multi-Academy Trust", "Education Trust",
               "Schools Partnership")
NURSERY_WORDS = ("Little Acorns", "Busy Bees", "Rainbow", "Sunflowers", "Ladybirds", "Tiny Steps",
                 "Puddle Ducks", "Honeypot")

PERSONAL_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
MOBILE_PREFIX = "07700 900"  # Ofcom's range reserved for fiction
