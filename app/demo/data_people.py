"""Reference lists for people: DfE characteristic codes and name pools.

The name groups follow the DfE ethnicity codes loosely so that a family's
names, ethnicity and first language agree with one another. Majority-group
names come from Faker at start-up; the smaller groups are listed here.
"""

from __future__ import annotations

# DfE main ethnicity codes with rough shares of the English pupil population,
# the name group used for the family, and first languages with their weights.
# Language codes are the DfE census codes (PNJ Panjabi, BNG Bengali, ...).
ETHNICITIES: tuple[tuple[str, float, str, tuple[tuple[str, float], ...]], ...] = (
    ("WBRI", 62.0, "british", (("ENG", 99.0), ("ENB", 1.0))),
    ("WIRI", 0.4, "irish", (("ENG", 100.0),)),
    ("WIRT", 0.2, "irish", (("ENG", 100.0),)),
    ("WROM", 0.3, "eastern", (("ROM", 60.0), ("ENG", 40.0))),
    ("WOTH", 7.0, "eastern", (("POL", 45.0), ("ROM", 20.0), ("LIT", 10.0), ("POR", 10.0), ("ENG", 15.0))),
    ("MWBC", 1.5, "caribbean", (("ENG", 100.0),)),
    ("MWBA", 0.9, "african", (("ENG", 85.0), ("YOR", 8.0), ("AKAT", 7.0))),
    ("MWAS", 1.8, "mixed_asian", (("ENG", 90.0), ("URD", 5.0), ("PNJ", 5.0))),
    ("MOTH", 2.2, "mixed", (("ENG", 90.0), ("SPA", 5.0), ("FRN", 5.0))),
    ("AIND", 3.4, "indian", (("ENG", 35.0), ("PNJ", 25.0), ("GUJ", 25.0), ("TAM", 15.0))),
    ("APKN", 4.5, "pakistani", (("URD", 45.0), ("PNJ", 25.0), ("PHR", 10.0), ("ENG", 20.0))),
    ("ABAN", 2.0, "bangladeshi", (("BNG", 75.0), ("ENG", 25.0))),
    ("AOTH", 2.0, "pakistani", (("ENG", 40.0), ("TAM", 20.0), ("PRS", 20.0), ("URD", 20.0))),
    ("BAFR", 4.0, "african", (("ENG", 40.0), ("YOR", 20.0), ("SOM", 20.0), ("AKAT", 10.0), ("IGB", 10.0))),
    ("BCRB", 0.9, "caribbean", (("ENG", 100.0),)),
    ("BOTH", 0.7, "african", (("ENG", 80.0), ("FRN", 20.0))),
    ("CHNE", 0.5, "chinese", (("CHI", 70.0), ("ENG", 30.0))),
    ("OOTH", 2.1, "arabic", (("ARA", 60.0), ("TUR", 20.0), ("ENG", 20.0))),
    ("REFU", 0.6, "british", (("ENG", 80.0), ("REF", 20.0))),
    ("NOBT", 0.7, "british", (("ENG", 70.0), ("NOT", 30.0))),
)

# Scotland, Wales and Northern Ireland schools draw more from these codes.
NON_ENGLAND_ETHNICITY_BOOST = {"WBRI": 4.0, "WOTH": 1.5}

# (female forenames, male forenames, surnames) for the groups not taken from Faker.
NAME_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "irish": (
        ("Aoife", "Niamh", "Saoirse", "Siobhán", "Róisín", "Caoimhe", "Orla", "Clodagh", "Áine", "Éabha"),
        ("Seán", "Ciarán", "Oisín", "Cian", "Darragh", "Pádraig", "Eoin", "Cillian", "Tadhg", "Rónán"),
        ("O'Neill", "O'Brien", "O'Connor", "O'Sullivan", "Murphy", "Kelly", "Byrne", "Ryan", "McCarthy",
         "Doyle", "Gallagher", "Ó Súilleabháin", "Kennedy", "Quinn"),
    ),
    "eastern": (
        ("Zuzanna", "Wiktoria", "Julia", "Maja", "Zofia", "Łucja", "Alicja", "Ioana", "Andreea", "Gabrielė",
         "Emilija", "Beatriz", "Inês", "Małgorzata"),
        ("Jakub", "Kacper", "Szymon", "Łukasz", "Mateusz", "Wojciech", "Andrei", "Ștefan", "Matas", "Lukas",
         "João", "Tomás", "Paweł", "Michał"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Popescu",
         "Ionescu", "Kazlauskas", "Petrauskas", "Silva", "Gonçalves", "Dąbrowski"),
    ),
    "caribbean": (
        ("Shanice", "Aaliyah", "Jada", "Tiana", "Keisha", "Imani", "Amelia", "Maya", "Nia", "Renée"),
        ("Jayden", "Tyrese", "Kai", "Marcus", "Andre", "Reuben", "Jermaine", "Isaiah", "Elijah", "Malachi"),
        ("Campbell", "Brown", "Williams", "Thompson", "Clarke", "Grant", "Francis", "Henry", "Bailey",
         "Richards", "Morgan", "Reid"),
    ),
    "african": (
        ("Adaeze", "Amara", "Chiamaka", "Ifeoma", "Ama", "Abena", "Hodan", "Ayaan", "Folake", "Temitope",
         "Zainab", "Blessing"),
        ("Chidi", "Oluwaseun", "Tobi", "Kwame", "Kofi", "Emeka", "Abdirahman", "Yusuf", "Tunde", "Femi",
         "Daniel", "Samuel"),
        ("Okafor", "Adeyemi", "Mensah", "Osei", "Okonkwo", "Abdi", "Mohamed", "Adebayo", "Boateng",
         "Nwosu", "Hassan", "Owusu", "Eze"),
    ),
    "indian": (
        ("Priya", "Simran", "Harpreet", "Anika", "Diya", "Navneet", "Jasleen", "Riya", "Kavya", "Meera"),
        ("Aryan", "Arjun", "Gurpreet", "Harjit", "Rohan", "Vikram", "Dev", "Jaskaran", "Ishaan", "Sai"),
        ("Patel", "Singh", "Kaur", "Shah", "Sharma", "Gill", "Sandhu", "Mistry", "Parmar", "Chauhan",
         "Kumar", "Lal", "Dhillon"),
    ),
    "pakistani": (
        ("Aisha", "Zainab", "Fatima", "Maryam", "Hafsa", "Amna", "Iqra", "Khadija", "Safa", "Noor"),
        ("Muhammad", "Ayaan", "Hamza", "Ibrahim", "Zayn", "Ali", "Yusuf", "Bilal", "Haris", "Usman"),
        ("Khan", "Ahmed", "Hussain", "Ali", "Iqbal", "Akhtar", "Mahmood", "Butt", "Raza", "Shah",
         "Qureshi", "Malik"),
    ),
    "bangladeshi": (
        ("Tasnim", "Sumaiya", "Nusrat", "Anisa", "Ruqayyah", "Sadia", "Mahira", "Jannat", "Farhana",
         "Tahmina"),
        ("Rayhan", "Tanvir", "Sami", "Arif", "Shahid", "Imran", "Rahim", "Nabil", "Jamal", "Mahir"),
        ("Begum", "Rahman", "Islam", "Uddin", "Chowdhury", "Miah", "Hoque", "Ahmed", "Khatun", "Ali"),
    ),
    "chinese": (
        ("Jia Hui", "Mei Ling", "Xin Yi", "Yu Tong", "Zi Han", "Wen Jing", "Hui Min", "Shu Fen"),
        ("Wei", "Hao Ran", "Zi Xuan", "Jun Jie", "Ming", "Yi Chen", "Jia Hao", "Tian Yu"),
        ("Wang", "Li", "Zhang", "Chen", "Liu", "Huang", "Wong", "Chan", "Lam", "Ng", "Cheung", "Zhou"),
    ),
    "arabic": (
        ("Layla", "Yasmin", "Nour", "Lina", "Rania", "Sara", "Hana", "Zeynep", "Elif", "Dalia"),
        ("Omar", "Karim", "Adam", "Youssef", "Tariq", "Emir", "Kerem", "Ahmad", "Sami", "Rami"),
        ("Al-Sayed", "Haddad", "Nasser", "Khalil", "Yilmaz", "Demir", "Kaya", "Mansour", "El-Amin", "Saleh"),
    ),
}

# Accented and punctuated names added to the Faker-drawn majority pools so
# matching code meets them in ordinary data, not only in special cases.
EXTRA_BRITISH_FEMALE = ("Zoë", "Chloë", "Renée", "Siân", "Léa", "Anaïs", "Mary-Jane", "Lily-Rose", "Élise")
EXTRA_BRITISH_MALE = ("José", "Rhys", "Dafydd", "Jean-Luc", "Noël", "Rhodri", "Iestyn", "Gruffydd")
EXTRA_BRITISH_SURNAMES = ("O'Neill", "O'Brien", "D'Arcy", "McDonald", "MacLeod", "Núñez", "Brontë",
                          "Le Roux", "St John", "ap Rhys", "Ó Briain")

# Familiar forms a family may use instead of the legal forename.
NICKNAMES = {
    "Alexander": "Alex", "William": "Will", "Elizabeth": "Lizzie", "Katherine": "Katie", "Thomas": "Tom",
    "Joshua": "Josh", "Benjamin": "Ben", "Oliver": "Ollie", "Samuel": "Sam", "Daniel": "Dan",
    "Jessica": "Jess", "Rebecca": "Becky", "Abigail": "Abbie", "Charlotte": "Lottie", "Matthew": "Matt",
    "Christopher": "Chris", "Jonathan": "Jon", "Nicholas": "Nick", "Victoria": "Tori", "Eleanor": "Ellie",
    "Muhammad": "Mo", "Oluwaseun": "Seun", "Abdirahman": "Abdi", "Andreea": "Andi", "Jia Hui": "Grace",
    "Mei Ling": "May", "Hao Ran": "Henry", "Zi Xuan": "Jason", "Wojciech": "Wojtek", "Małgorzata": "Gosia",
}

TITLES_FEMALE = (("Mrs", 45.0), ("Ms", 35.0), ("Miss", 15.0), ("Dr", 3.0), ("Mx", 2.0))
TITLES_MALE = (("Mr", 95.0), ("Dr", 3.0), ("Mx", 2.0))

# DfE SEN primary need codes with rough shares.
SEND_NEEDS = (
    ("SLCN", 24.0), ("SEMH", 20.0), ("ASD", 14.0), ("MLD", 12.0), ("SPLD", 11.0), ("OTH", 5.0),
    ("PD", 4.0), ("HI", 2.5), ("SLD", 2.5), ("VI", 1.5), ("MSI", 0.5), ("PMLD", 1.0),
)

SEND_NOTES = {
    "SLCN": "Speech and language therapy assessment completed; {first} works in a small group on "
            "vocabulary three times a week. Visual timetable in class.",
    "SEMH": "{first} finds transitions difficult and has a named adult to check in with each morning. "
            "Referral to the school counsellor agreed with parents.",
    "ASD": "Diagnosis of autism confirmed by the paediatric team. Quiet space available at lunchtime; "
           "ear defenders for assemblies.",
    "MLD": "Working below age-related expectations in reading and maths; precision teaching sessions "
           "and pre-teaching of key vocabulary.",
    "SPLD": "Dyslexia screening indicates difficulties with phonological processing. Coloured overlays "
            "and extra time in assessments.",
    "OTH": "Needs reviewed with parents; adjustments to seating and homework agreed this term.",
    "PD": "Physiotherapy programme followed twice a week; adapted PE and a lift pass.",
    "HI": "Hearing aids worn in both ears; radio aid used in lessons. Teacher of the deaf visits termly.",
    "SLD": "Personalised curriculum with a one-to-one assistant for part of each day.",
    "VI": "Enlarged print resources and a seat near the board; visits from the sensory support service.",
    "MSI": "Multi-sensory impairment support plan in place; specialist teacher visits monthly.",
    "PMLD": "Full-time support with personal care; therapy programmes written into the timetable.",
}
