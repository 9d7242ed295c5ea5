"""Given and family names of London's many origins, sampled with Zipf-like recurrence.

Each origin has a hand-written list of its common names; within it earlier names are more
common (weight 1/rank^0.7), so many different people share a name, as in real records.
Where Faker ships a Latin-script list for a matching locale, a share of names (`TAIL`) is
drawn uniformly from it instead: the long tail of rarer names real populations have. Without
it, 93% of the 402,000 people of a 190,000-case world shared their full name with someone
and 64% their name and year of birth ("Oliver Smith" 3,650 times), far above any real
population (the commonest surname in England and Wales, Smith, is about 1% of people).
Faker's lists are static data read once, so generation stays fast and deterministic for a
given Faker version. Name origin and recorded ethnicity are correlated (as in life) but
nothing about a name is ever used to decide who offends: roles are drawn before names.
"""

from __future__ import annotations

import importlib
import random
import unicodedata
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

__all__ = [
    "ORIGINS",
    "ORIGIN_BY_KEY",
    "TAIL",
    "NameSampler",
    "nickname_of",
    "spelling_variants",
    "tail_names",
]


@dataclass(frozen=True, slots=True)
class Origin:
    """A naming tradition with its weight in the London population and likely ethnicity codes."""

    key: str
    weight: float
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    ethnicity: tuple[str, ...]  # self-defined 16+1 codes, most likely first


def _o(key: str, weight: float, male: str, female: str, family: str, eth: str) -> Origin:
    return Origin(
        key,
        weight,
        tuple(male.split()),
        tuple(female.split()),
        tuple(family.split()),
        tuple(eth.split()),
    )


ORIGINS: tuple[Origin, ...] = (
    _o(
        "english",
        30,
        "Oliver Jack Harry George James Thomas William Daniel Joshua Samuel Ryan Connor Liam "
        "Jamie Lewis Callum Kieran Robert Michael Christopher Matthew Anthony Joseph Alexander "
        "Benjamin Nicholas Stephen Richard Jonathan Dean",
        "Olivia Emily Jessica Chloe Sophie Charlotte Lauren Megan Hannah Amy Ellie Holly Jade "
        "Katie Rebecca Bethany Georgia Shannon Paige Courtney Abigail Samantha Natasha Victoria "
        "Elizabeth Katherine Jennifer Leah Kayleigh",
        "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Walker "
        "Wright Robinson Thompson White Hughes Edwards Green Hall Wood Harris Lewis Martin "
        "Jackson Clarke Clark Turner Hill Scott Cooper Morris Ward King Baker Harrison Morgan "
        "Allen Young Mitchell Parker Collins Bennett Cook Shaw Bailey Fletcher",
        "W1 W1 W1 W1 W9 M9",
    ),
    _o(
        "irish",
        4,
        "Sean Patrick Conor Ciaran Declan Niall Eoin Cian Darragh Kevin",
        "Siobhan Niamh Aoife Ciara Roisin Orla Caoimhe Sinead Aisling Grainne",
        "Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan O'Connor O'Neill Doyle McCarthy "
        "Gallagher Kennedy Lynch Quinn Brennan",
        "W2 W2 W1",
    ),
    _o(
        "caribbean",
        7,
        "Tyrone Jermaine Leon Marcus Andre Dwayne Kareem Reuben Jordan Tyrese Devon Shaquille "
        "Nathaniel Darnell Kyle",
        "Shanice Tia Chantelle Keisha Aaliyah Jasmine Tanisha Shantelle Kiara Monique Nia "
        "Latoya Simone Aliyah",
        "Campbell Brown Williams Francis Grant Reid Thomas Morgan Gordon Henry Bailey Clarke "
        "Lewis Edwards Richards Powell Johnson Graham Stewart Samuels",
        "B1 B1 M1 B9",
    ),
    _o(
        "nigerian",
        5,
        "Oluwaseun Chinedu Emeka Tunde Olumide Adebayo Chukwuemeka Ifeanyi Babatunde Femi "
        "David Samuel Daniel Joshua",
        "Funmilayo Chiamaka Ngozi Adaeze Temitope Oluwadamilola Blessing Precious Favour "
        "Folake Chioma Ife Esther",
        "Okafor Adeyemi Okonkwo Balogun Ogunleye Adebayo Eze Olawale Nwosu Akinola Adeleke "
        "Obi Okeke Oyelaran Afolabi",
        "B2 B2 B9",
    ),
    _o(
        "ghanaian",
        3,
        "Kwame Kofi Kwabena Yaw Kwaku Kojo Nana Emmanuel Isaac Kwesi",
        "Ama Akosua Abena Adwoa Efua Afia Akua Yaa Gifty Comfort",
        "Mensah Owusu Boateng Asante Osei Appiah Agyeman Darko Acheampong Addo Ansah Amoah",
        "B2 B2 B9",
    ),
    _o(
        "somali",
        3,
        "Abdullahi Mohamed Ahmed Abdirahman Hassan Yusuf Ali Omar Ibrahim Mustafa",
        "Fadumo Hodan Amina Ayan Hibo Sagal Ifrah Khadija Sahra Hawa",
        "Mohamud Abdi Hassan Ali Farah Warsame Osman Ahmed Yusuf Jama Aden Hersi Egal",
        "B2 B9 O9",
    ),
    _o(
        "pakistani",
        5,
        "Mohammed Muhammad Ali Hamza Bilal Usman Imran Zain Adnan Tariq Kashif Shahid Asif "
        "Faisal Naveed",
        "Ayesha Fatima Zainab Maryam Sana Hina Amna Saima Rabia Nadia Iqra Mehwish",
        "Khan Hussain Ahmed Ali Iqbal Mahmood Akhtar Shah Butt Malik Chaudhry Raza Qureshi Aslam",
        "A2 A2 A9",
    ),
    _o(
        "bangladeshi",
        5,
        "Mohammed Abdul Rahim Shahid Rashid Jamal Sohel Faruk Anwar Ruhul Shafiq Kamal",
        "Fatema Nasima Shirin Taslima Rumana Sultana Shamima Jannat Tasnim Sadia Nusrat",
        "Begum Miah Rahman Uddin Ahmed Islam Hoque Khatun Ali Chowdhury Hossain Alam Karim",
        "A3 A3 A9",
    ),
    _o(
        "indian",
        6,
        "Arjun Rohan Raj Vikram Amit Sanjay Ravi Harpreet Gurpreet Manpreet Karan Nikhil "
        "Sunil Deepak Aditya",
        "Priya Anjali Pooja Neha Simran Kiran Navneet Sunita Divya Meera Asha Jaspreet",
        "Patel Singh Sharma Kaur Kumar Shah Gill Sandhu Mehta Joshi Desai Gupta Chauhan Dhillon "
        "Bains Parmar",
        "A1 A1 A9",
    ),
    _o(
        "polish",
        4,
        "Jakub Kacper Mateusz Piotr Tomasz Krzysztof Pawel Michal Lukasz Wojciech Marcin "
        "Aleksander",
        "Julia Zuzanna Katarzyna Agnieszka Magdalena Natalia Aleksandra Karolina Joanna Monika "
        "Weronika",
        "Nowak Kowalski Wisniewski Wojcik Kowalczyk Kaminski Lewandowski Zielinski Szymanski "
        "Wozniak Dabrowski Kozlowski",
        "W9 W9",
    ),
    _o(
        "romanian",
        3,
        "Andrei Alexandru Mihai Ionut Florin Gabriel Stefan Cristian Adrian Marius Bogdan",
        "Maria Elena Ioana Andreea Alexandra Daniela Georgiana Mihaela Bianca Roxana",
        "Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Rusu Munteanu Constantin",
        "W9 W9",
    ),
    _o(
        "albanian",
        2,
        "Ardit Besnik Arben Dritan Erion Klodian Gentian Fatjon Luan Elvis",
        "Elira Arta Blerta Mirela Besa Jonida Klea Erjona Anisa",
        "Hoxha Shehu Krasniqi Gashi Berisha Leka Dervishi Basha Kola Marku",
        "W9 W9",
    ),
    _o(
        "turkish",
        3,
        "Mehmet Mustafa Ahmet Emre Murat Hasan Huseyin Kerem Yusuf Baris Can",
        "Ayse Fatma Elif Zeynep Merve Esra Derya Ozlem Sibel Gul",
        "Yilmaz Kaya Demir Sahin Celik Ozturk Aydin Arslan Dogan Kilic Aslan Yildiz",
        "W9 O9",
    ),
    _o(
        "arabic",
        3,
        "Mohammed Ahmed Omar Khalid Youssef Karim Samir Tariq Hassan Ibrahim Walid",
        "Fatima Aisha Mariam Layla Nour Yasmin Huda Rania Salma Amira",
        "Hassan Ali Ibrahim Mahmoud Saleh Abdullah Haddad Mansour Nasser Khalil Youssef Saeed",
        "O9 O9 W9",
    ),
    _o(
        "portuguese",
        3,
        "Joao Tiago Pedro Rafael Diogo Bruno Ricardo Miguel Andre Luis",
        "Ana Beatriz Mariana Ines Catarina Sofia Joana Rita Carolina Leticia",
        "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Sousa Fernandes "
        "Goncalves Gomes",
        "W9 W9 O9",
    ),
    _o(
        "chinese",
        2,
        "Wei Jun Hao Ming Jian Lei Tao Yi Kai",
        "Mei Li Xin Ying Jing Hui Yan Ling Xiao",
        "Wang Li Zhang Chen Liu Yang Huang Zhao Wu Zhou Lin Ng Wong Chan Lee",
        "O1 O1",
    ),
    _o(
        "vietnamese",
        1,
        "Minh Duc Anh Tuan Hung Long Nam Quang",
        "Linh Thu Trang Huong Lan Ngoc Mai Hoa",
        "Nguyen Tran Le Pham Hoang Vu Dang Bui Do",
        "A9 O9",
    ),
    _o(
        "tamil",
        2,
        "Suresh Kumaran Ganesh Rajan Senthil Dinesh Prakash Vinoth",
        "Lakshmi Priya Kavitha Sharmila Nirmala Shanthi Tharani Abirami",
        "Sivakumar Rajendran Selvarajah Thevarajah Kanagaratnam Sritharan Balasingham",
        "A9 A1",
    ),
    _o(
        "eritrean",
        1,
        "Yonas Dawit Samuel Filmon Tesfaye Biniam Henok",
        "Senait Helen Selam Feven Ruth Saba Meron",
        "Tesfay Gebremedhin Haile Berhane Kidane Tekle Ghebreyesus",
        "B2 B9",
    ),
    _o(
        "greek_cypriot",
        2,
        "Andreas Nikos Christos Georgios Costas Michalis Panayiotis Stelios",
        "Maria Eleni Christina Sophia Katerina Androulla Despina Georgia",
        "Georgiou Christodoulou Constantinou Papadopoulos Ioannou Charalambous Nicolaou",
        "W9 W9",
    ),
    _o(
        "colombian",
        1,
        "Juan Carlos Andres Santiago Felipe Camilo Sebastian Diego",
        "Valentina Daniela Camila Paula Natalia Laura Lina",
        "Garcia Rodriguez Martinez Lopez Gonzalez Hernandez Ramirez Torres Gomez",
        "O9 W9",
    ),
    _o(
        "russian_ukrainian",
        1.5,
        "Dmitri Aleksandr Sergei Andrei Ivan Oleksandr Mykola Yuri Maksim Artem Vladimir Pavel",
        "Olga Natalia Yulia Tatiana Anastasia Irina Ekaterina Svetlana Oksana Daria",
        "Ivanov Petrov Smirnov Kuznetsov Popov Volkov Shevchenko Kovalenko Bondarenko Melnyk "
        "Tkachenko Morozov",
        "W9 W9",
    ),
    _o(
        "congolese",
        1,
        "Christian Patrick Glody Junior Exauce Merveille Grace",
        "Grace Merveille Divine Esther Prisca Gloria",
        "Mbala Kabongo Tshibanda Ilunga Mukendi Kalala Ngoy Lukusa",
        "B2 B9",
    ),
)

ORIGIN_BY_KEY: dict[str, Origin] = {o.key: o for o in ORIGINS}

# Known alternative spellings: each tuple is one name written several ways.
_VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed"),
    ("Ahmed", "Ahmad", "Ahmet"),
    ("Hussain", "Hussein", "Husain", "Hossain"),
    ("Aisha", "Ayesha", "Aysha"),
    ("Fatima", "Fatimah", "Fatema"),
    ("Mariam", "Maryam"),
    ("Yusuf", "Yousuf", "Youssef", "Yusef"),
    ("Usman", "Osman", "Uthman"),
    ("Hassan", "Hasan"),
    ("Hussein", "Huseyin"),
    ("Ibrahim", "Ebrahim"),
    ("Khadija", "Khadijah"),
    ("Rahman", "Rehman"),
    ("Chowdhury", "Choudhury", "Chaudhry"),
    ("Mohamud", "Mohamoud", "Mahamud"),
    ("Abdullahi", "Abdulahi"),
    ("Abdirahman", "Abdurahman"),
    ("Omar", "Umar"),
    ("Khalid", "Khaled"),
    ("Karim", "Kareem"),
    ("Begum", "Begom"),
    ("Miah", "Mia"),
    ("Uddin", "Udin"),
    ("Jamal", "Jamaal"),
    ("Tariq", "Tarik"),
    ("Joao", "João"),
    ("Goncalves", "Gonçalves"),
    ("Ines", "Inês"),
    ("Sahin", "Şahin"),
    ("Ozturk", "Öztürk"),
    ("Celik", "Çelik"),
    ("Kilic", "Kılıç"),
    ("Wisniewski", "Wiśniewski"),
    ("Wojcik", "Wójcik"),
    ("Pawel", "Paweł"),
    ("Michal", "Michał"),
    ("Lukasz", "Łukasz"),
    ("Kaminski", "Kamiński"),
    ("Dabrowski", "Dąbrowski"),
    ("Kozlowski", "Kozłowski"),
    ("Ionut", "Ionuț"),
    ("Stefan", "Ștefan"),
    ("Oluwaseun", "Oluseun"),
    ("Chukwuemeka", "Chukuemeka"),
    ("Adebayo", "Adebayor"),
    ("Kwesi", "Kweku"),
    ("Siobhan", "Shivaun"),
    ("Niamh", "Neve"),
    ("Aoife", "Eva"),
    ("Sean", "Shaun", "Shawn"),
    ("Jermaine", "Germaine"),
    ("Shanice", "Shaniece"),
    ("Aaliyah", "Aliyah", "Aleah"),
    ("Kayleigh", "Kayley", "Kaylee"),
    ("Katherine", "Catherine", "Kathryn"),
    ("Stephen", "Steven"),
    ("Jonathan", "Jonathon"),
    ("Clarke", "Clark"),
    ("Lewis", "Louis"),
    ("Mehmet", "Mehmed"),
    ("Nguyen", "Nguyễn"),
    ("Tran", "Trần"),
    ("Georgiou", "Yiorgiou"),
    ("Panayiotis", "Panagiotis"),
    ("Costas", "Kostas"),
    # West African day names and names written by ear or after another language's spelling.
    ("Kwabena", "Kwabina", "Kobina"),
    ("Kwame", "Kwami"),
    ("Kofi", "Koffi"),
    ("Kwaku", "Kwaaku"),
    ("Kojo", "Kwadwo", "Kodjo"),
    ("Yaw", "Yao"),
    ("Akosua", "Akosuah"),
    ("Adwoa", "Adjoa"),
    ("Efua", "Effua"),
    ("Afia", "Afua"),
    ("Akua", "Akwa"),
    ("Chinedu", "Chinedum"),
    ("Olumide", "Olumidé"),
    ("Babatunde", "Babatundé"),
    # Somali names in English and in Somali orthography (x for the Arabic h, c for ayn).
    ("Mohamed", "Maxamed", "Mohammed"),
    ("Abdi", "Cabdi", "Abdie"),
    ("Farah", "Faarax"),
    ("Warsame", "Warsama"),
    ("Jama", "Jaamac"),
    ("Hersi", "Xirsi"),
    ("Aden", "Aadan", "Adan"),
    ("Abdullahi", "Cabdullaahi", "Abdulahi"),
    ("Hodan", "Hodon"),
    # South Asian names in several romanisations.
    ("Mahmood", "Mehmood", "Mahmud"),
    ("Chaudhry", "Chaudhary", "Choudhry"),
    ("Qureshi", "Kureshi", "Qureishi"),
    ("Iqbal", "Ikbal"),
    ("Imran", "Imraan"),
    ("Bilal", "Belal"),
    ("Zainab", "Zaynab"),
    ("Rabia", "Rabiya"),
    ("Rahim", "Raheem"),
    ("Hoque", "Haque", "Hoq"),
    ("Khatun", "Khatoon"),
    ("Sultana", "Sultanah"),
    ("Deepak", "Dipak"),
    ("Pooja", "Puja"),
    ("Meera", "Mira"),
    # Arabic names in French- and English-style romanisations.
    ("Mahmoud", "Mahmud", "Mahmood"),
    ("Saleh", "Salih"),
    ("Nasser", "Nasir", "Naser"),
    ("Khalil", "Khaleel"),
    ("Saeed", "Said", "Sayed"),
    ("Layla", "Leila", "Laila"),
    ("Nour", "Noor"),
    ("Huda", "Houda"),
    ("Walid", "Waleed"),
    ("Samir", "Sameer"),
    # Chinese surnames in pinyin and in Cantonese or older romanisations.
    ("Zhang", "Chang", "Cheung"),
    ("Chen", "Chan"),
    ("Wang", "Wong"),
    ("Li", "Lee"),
    ("Liu", "Lau"),
    ("Zhou", "Chow"),
    ("Huang", "Wong"),
    # Russian and Ukrainian names in several romanisations.
    ("Dmitri", "Dmitry", "Dmitriy"),
    ("Aleksandr", "Alexander", "Alexandr"),
    ("Sergei", "Sergey", "Serhiy"),
    ("Andrei", "Andrey", "Andriy"),
    ("Yuri", "Yuriy", "Yury"),
    ("Maksim", "Maxim"),
    ("Natalia", "Natalya", "Nataliya"),
    ("Yulia", "Julia", "Yuliya"),
    ("Tatiana", "Tatyana", "Tetiana"),
    ("Ekaterina", "Yekaterina", "Katerina"),
    ("Oksana", "Oxana"),
    ("Melnyk", "Melnik"),
    ("Kovalenko", "Kowalenko"),
)

_NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Will", "Bill", "Billy"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Michael": ("Mike", "Mick"),
    "Thomas": ("Tom", "Tommy"),
    "Daniel": ("Dan", "Danny"),
    "Christopher": ("Chris",),
    "Anthony": ("Tony", "Ant"),
    "Joseph": ("Joe", "Joey"),
    "Jonathan": ("Jon", "Jonny"),
    "Matthew": ("Matt",),
    "Nicholas": ("Nick", "Nicky"),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben",),
    "Alexander": ("Alex",),
    "Stephen": ("Steve",),
    "Richard": ("Rich", "Richie"),
    "Joshua": ("Josh",),
    "Nathaniel": ("Nathan", "Nate"),
    "Rebecca": ("Becky", "Becca"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Jessica": ("Jess",),
    "Katherine": ("Kate", "Katie", "Kat"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam", "Sammie"),
    "Jennifer": ("Jen", "Jenny"),
    "Natasha": ("Tash",),
    "Abigail": ("Abbie", "Abi"),
    "Charlotte": ("Charlie", "Lottie"),
    "Olivia": ("Liv",),
    "Patrick": ("Paddy", "Pat"),
    "Aleksander": ("Olek",),
    "Aleksandra": ("Ola",),
    "Mohammed": ("Mo",),
    "Muhammad": ("Mo",),
    "Oluwaseun": ("Seun",),
    "Abdullahi": ("Abdi",),
    "Oluwadamilola": ("Dami", "Lola"),
    "Temitope": ("Tope",),
    "Chukwuemeka": ("Emeka",),
    "Babatunde": ("Tunde",),
    "Alexandru": ("Alex",),
    "Gabriel": ("Gabi",),
    "Krzysztof": ("Krzys",),
    "Katarzyna": ("Kasia",),
    "Magdalena": ("Magda",),
    "Mateusz": ("Mati",),
    "Panayiotis": ("Panos",),
    "Christos": ("Chris",),
    "Santiago": ("Santi",),
    "Sebastian": ("Seb",),
    "Valentina": ("Vale",),
    "Dmitri": ("Dima",),
    "Aleksandr": ("Sasha", "Sash"),
    "Ekaterina": ("Katya",),
    "Anastasia": ("Nastya",),
    "Kwabena": ("Kobby",),
    "Adebayo": ("Bayo",),
    "Olumide": ("Mide",),
    "Abdirahman": ("Abdi",),
    "Ibrahim": ("Ibby",),
    "Emmanuel": ("Manny",),
    "Jermaine": ("Maine",),
}

_VARIANTS: dict[str, tuple[str, ...]] = {}
for _group in _VARIANT_GROUPS:  # a name in several groups has the union of their spellings
    for _name in _group:
        _known = _VARIANTS.get(_name, ())
        _VARIANTS[_name] = _known + tuple(v for v in _group if v != _name and v not in _known)


def spelling_variants(name: str) -> tuple[str, ...]:
    """Other known spellings of `name` (empty when none are known)."""
    return _VARIANTS.get(name, ())


def nickname_of(name: str) -> tuple[str, ...]:
    """Known short forms of a given name (empty when none are known)."""
    return _NICKNAMES.get(name, ())


ZIPF_EXPONENT = 0.7

# Share of given and family names drawn from the origin's long tail, when it has one.
TAIL = {"given": 0.4, "family": 0.5}

# Faker locales whose Latin-script lists serve as an origin's long tail (family, given).
_TAIL_LOCALES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "english": (("en_GB",), ("en_GB",)),
    "irish": (("en_IE",), ("en_IE",)),
    "caribbean": (("en_GB", "en_US"), ("en_US",)),
    "nigerian": (("yo_NG",), ("yo_NG",)),
    "ghanaian": (("tw_GH",), ("tw_GH",)),
    "pakistani": (("en_PK",), ()),
    "indian": (("en_IN",), ("en_IN",)),
    "romanian": (("ro_RO",), ("ro_RO",)),
    "turkish": (("tr_TR",), ("tr_TR",)),
    "portuguese": (("pt_PT", "pt_BR"), ("pt_PT",)),
    "colombian": (("es_CO",), ("es_CO",)),
}


def _zipf(items: tuple[str, ...]) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(items))))


def _latin(name: str) -> bool:
    return bool(name) and all(
        ch in " -'" or (ch.isalpha() and "LATIN" in unicodedata.name(ch, "")) for ch in name
    )


@cache
def _faker_names(locale: str, attribute: str) -> tuple[str, ...]:
    """A Faker locale's list (`last_names`, `first_names_male`, ...), Latin script only,
    sorted; empty when the locale or list does not exist."""
    try:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    except ImportError:
        return ()
    return tuple(sorted({n for n in getattr(provider, attribute, ()) if _latin(n)}))


def tail_names(origin: str, kind: str) -> tuple[str, ...]:
    """The long tail of `kind` ("family", "male", "female") names for an origin."""
    family_locales, given_locales = _TAIL_LOCALES.get(origin, ((), ()))
    if kind == "family":
        lists = [_faker_names(loc, "last_names") for loc in family_locales]
    else:
        lists = [_faker_names(loc, f"first_names_{kind}") for loc in given_locales]
    return tuple(sorted({n for names in lists for n in names}))


class NameSampler:
    """Draws (given, family, origin, ethnicity code) for new people from one RNG."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._origin_cum = list(accumulate(o.weight for o in ORIGINS))
        self._cum = {o.key: (_zipf(o.male), _zipf(o.female), _zipf(o.family)) for o in ORIGINS}
        self._tail = {
            (o.key, kind): tail_names(o.key, kind)
            for o in ORIGINS
            for kind in ("family", "male", "female")
        }

    def _from_tail(self, origin: Origin, kind: str) -> str | None:
        tail = self._tail[(origin.key, kind)]
        share = TAIL["family" if kind == "family" else "given"]
        if tail and self._rng.random() < share:
            return self._rng.choice(tail)
        return None

    def origin(self) -> Origin:
        """A naming origin in proportion to its weight in the population."""
        return self._rng.choices(ORIGINS, cum_weights=self._origin_cum)[0]

    def given(self, origin: Origin, sex: str) -> str:
        """A given name of that origin and sex, Zipf-weighted."""
        male_cum, female_cum, _ = self._cum[origin.key]
        rare = self._from_tail(origin, "male" if sex == "M" else "female")
        if rare is not None:
            return rare
        if sex == "M":
            return self._rng.choices(origin.male, cum_weights=male_cum)[0]
        return self._rng.choices(origin.female, cum_weights=female_cum)[0]

    def family(self, origin: Origin) -> str:
        """A family name of that origin, Zipf-weighted; about 3% are double-barrelled."""
        cum = self._cum[origin.key][2]
        name = (
            self._from_tail(origin, "family")
            or self._rng.choices(origin.family, cum_weights=cum)[0]
        )
        if self._rng.random() < 0.03:
            other = self.origin()
            second = self._rng.choices(other.family, cum_weights=self._cum[other.key][2])[0]
            if second != name:
                name = f"{name}-{second}"
        return name

    def person(self, sex: str) -> tuple[str, str, str, str]:
        """Given name, family name, origin key and a self-defined ethnicity code.

        About one person in ten has a given name from another origin than the
        family name (mixed heritage); their ethnicity code is then mixed (M*).
        """
        origin = self.origin()
        family = self.family(origin)
        ethnicity = self._rng.choice(origin.ethnicity)
        given_origin = origin
        if self._rng.random() < 0.1:
            given_origin = self.origin()
            if given_origin.key != origin.key:
                ethnicity = self._rng.choice(("M1", "M2", "M3", "M9"))
        return self.given(given_origin, sex), family, origin.key, ethnicity

    def middle(self, origin_key: str, sex: str) -> tuple[str, bool]:
        """Middle names of a new person and whether records usually write them, or ("", False).

        Somali and Eritrean names are given name, father's name, grandfather's name: the
        father's name is part of the name as used. Many Arab and Bangladeshi names carry a
        second given name or the father's name too. A Russian or Ukrainian patronymic, and an
        English-style middle name, exist but are mostly left out of English records.
        """
        rng = self._rng
        origin = ORIGIN_BY_KEY[origin_key]
        share, usual, fathers = _MIDDLE.get(origin_key, (0.2, False, False))
        if rng.random() >= share:
            return "", False
        if fathers:
            father = rng.choices(origin.male, cum_weights=self._cum[origin_key][0])[0]
            if origin_key == "russian_ukrainian":
                stem = father[:-1] if father[-1] in "aeiouy" else father
                return stem + ("ovich" if sex == "M" else "ovna"), False
            return father, usual
        return self.given(origin, sex), usual

    def street_name(self) -> str:
        """A street name or moniker of the kind recorded as an alias."""
        return self._rng.choice(_STREET_NAMES)


# Origin -> (share of people with middle names, written usually, the father's given name).
_MIDDLE: dict[str, tuple[float, bool, bool]] = {
    "somali": (1.0, True, True),
    "eritrean": (1.0, True, True),
    "arabic": (0.5, True, True),
    "bangladeshi": (0.35, True, False),
    "pakistani": (0.3, True, False),
    "russian_ukrainian": (0.8, False, True),
    "english": (0.5, False, False),
    "irish": (0.5, False, False),
    "caribbean": (0.4, False, False),
    "nigerian": (0.5, False, False),
    "ghanaian": (0.4, False, False),
}

_STREET_NAMES: tuple[str, ...] = (
    "J",
    "K",
    "Bigz",
    "Smokey",
    "Ace",
    "Little T",
    "Mo",
    "Dee",
    "Prince",
    "Boss",
    "Chef",
    "Ghost",
    "Snoop",
    "Kay",
    "Tiny",
    "Uncle",
    "Shorty",
    "Rico",
    "Zee",
    "Red",
    "Bash",
    "Skinny",
    "Money",
    "Blaze",
    "Nino",
    "Slim",
    "Bruv",
    "Rocky",
    "Benz",
    "Junior",
)
