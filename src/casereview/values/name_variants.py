"""Name equivalence: nicknames and transliteration variants, written for London case records.

Two names are *equivalent* when one is a short form of the other (Robert / Bob, Katarzyna /
Kasia) or when both are ways of writing one name in Latin letters (Mohammed / Muhammad,
Hussain / Hossain, Wojcik / Wójcik). Linkage uses the equivalence key as one comparison
level between "exactly equal" and "similar spelling", so a nickname is evidence that two
mentions are the same person without being as strong as the same name written the same way.

The tables cover the name origins common in London case records: English, Scottish, Welsh,
Irish, Polish, Romanian, Lithuanian, Albanian, Turkish and Kurdish, Somali, Eritrean,
Nigerian (Yoruba, Igbo), Ghanaian, Caribbean, Pakistani, Bangladeshi, Indian, Arabic,
Portuguese, Spanish, Greek and Greek Cypriot, Vietnamese. They were compiled for this project
from common usage; they are a starting point, not an authority, and are easy to extend:
add a tuple to `_VARIANT_GROUPS` or an entry to `_NICKNAMES`.

Inputs are names already cleaned by `casereview.values.name.clean_name` (lower-case ASCII,
no punctuation); the functions here also accept raw text and never raise.
"""

from __future__ import annotations

import re
from functools import lru_cache

from casereview.values._text import fold_ascii
from casereview.values.script import to_latin

__all__ = [
    "fold_spelling",
    "forename_key",
    "forename_keys",
    "name_key",
    "surname_key",
    "table_spellings",
]

# Each tuple is one name written several ways; the first spelling is the key.
# fmt: off
_VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    # Arabic-origin names, as written in Pakistani, Bangladeshi, Somali, Arab, Turkish records
    (
        "mohammed",
        "muhammad",
        "mohamed",
        "mohammad",
        "muhammed",
        "mohamad",
        "mohammod",
        "muhamed",
        "mohd",
        "mohmed",
        "mahomed",
        "mehmet",
        "mehmed",
        "mohamud",
        "mahamud",
        "mohamoud",
        "maxamed",
        "mukhammed",
        "mukhamed",
        "mukhammad",
        "mohammd",
        "magomed",
    ),
    ("ahmed", "ahmad", "ahmet", "ahmedi", "axmed"),
    ("hussain", "hussein", "husain", "hossain", "hossein", "huseyin", "husein", "xuseen"),
    ("hassan", "hasan", "hasaan", "xasan"),
    ("hasina", "hassina"),
    ("aisha", "ayesha", "aysha", "aishah", "ayisha", "aicha", "ayse", "caisha"),
    ("fatima", "fatimah", "fatema", "fatma", "fadumo", "faduma", "fatuma"),
    ("mariam", "maryam", "maryum", "meryem", "maryan", "mariama"),
    ("yusuf", "yousuf", "youssef", "yusef", "yousef", "yosef", "yussuf"),
    ("usman", "osman", "uthman", "othman", "usmaan", "cusmaan", "cismaan"),
    ("ibrahim", "ebrahim", "ibraheem", "ibrahima", "ibraahim"),
    ("ismail", "ismael", "esmail", "ismaeel", "ismaaciil"),
    ("khadija", "khadijah", "kadija", "hatice", "khadeeja", "khadra"),
    ("rahman", "rehman", "rahmaan"),
    ("abdul", "abdool", "abdal"),
    ("abdullah", "abdallah", "abdulla", "abdullahi", "abdulahi", "cabdullahi"),
    ("abdirahman", "abdurahman", "abdulrahman", "abdelrahman", "abdurrahman", "cabdiraxmaan"),
    ("abdulkadir", "abdikadir", "abdulqadir", "abdelkader", "cabdulqaadir"),
    ("omar", "umar", "omer", "cumar"),
    ("ali", "aly", "cali"),
    ("khalid", "khaled", "halid", "khaalid"),
    ("karim", "kareem", "kerim"),
    ("tariq", "tarik", "tarek", "tareq"),
    ("jamal", "jamaal", "gamal", "cemal"),
    ("kamal", "kamaal", "kemal"),
    ("mustafa", "mostafa", "mustapha", "moustafa", "mustefa"),
    ("mahmoud", "mahmood", "mahmud", "mehmood", "mahmut"),
    ("hamza", "hamzah", "hamsa"),
    ("bilal", "belal"),
    ("zainab", "zaynab", "zeynep", "zenab"),
    ("amina", "aminah", "ameena", "aminata"),
    ("salma", "selma", "salmah"),
    ("nasreen", "nasrin", "nesrin"),
    ("yasmin", "yasmine", "yasmeen", "jasmine", "jasmin", "yesim"),
    ("samir", "sameer", "semir"),
    ("nasser", "nasir", "naser"),  # ناصر
    ("layla", "laila", "leila", "leyla", "laylah"),
    ("imran", "emran"),
    ("faisal", "faysal", "feisal"),
    ("suleiman", "sulaiman", "suleyman", "sulayman", "solomon"),
    ("yunus", "younis", "younes", "yonis"),
    ("idris", "idrees", "edris"),
    ("zakaria", "zakariya", "zakariyya", "zakariye"),
    ("begum", "begom", "beghum"),
    (
        "chowdhury",
        "choudhury",
        "chaudhry",
        "chaudhary",
        "chowdhry",
        "choudhary",
        "chaudry",
        "choudhry",
    ),
    # Bengali হক, Arabic حق
    ("hoque", "haque", "hoq", "huq"),
    ("miah", "mia", "miya", "meah"),
    ("uddin", "udin", "uddeen", "ud din"),
    ("islam", "eslam"),
    ("rashid", "rasheed", "reshid"),
    ("saeed", "said", "sayed", "syed", "sayeed", "saed"),
    ("qureshi", "kureshi", "quraishi", "qureishi"),
    ("khan", "kahn"),
    ("shah", "sha"),
    ("malik", "malick", "malek"),
    ("iqbal", "ikbal"),
    ("javed", "javaid", "jawed"),
    ("nadeem", "nadim"),
    ("shahid", "shaheed"),
    ("zubair", "zubayr", "zobair"),
    ("abdi", "cabdi"),
    ("warsame", "warsama"),
    ("farah", "faarah", "farrah", "faarax"),  # Somali x for the h of Arabic
    ("hersi", "hirsi", "xirsi"),
    ("jama", "jaamac", "jamac"),
    # Turkish and Kurdish
    ("sahin", "shahin", "shaheen"),
    ("ozturk", "oeztuerk"),
    ("yilmaz", "yilmas"),
    ("celik", "chelik"),
    ("kilic", "kilich"),
    ("ozdemir", "oezdemir"),
    ("huseyin", "huseyn"),
    # Russian and Ukrainian names in their romanisations (Юлия, Тетяна, Сергій), Romanian Iulia
    ("julia", "yulia", "yuliya", "iulia", "yuliia", "iuliia"),
    ("tatiana", "tatyana", "tetiana", "tetyana"),
    ("sergei", "sergey", "serhiy", "serhii", "sergiy"),
    # Polish, Lithuanian, Romanian, Albanian (diacritics are folded before lookup)
    ("wisniewski", "wisnewski", "vishnevsky"),
    ("wojcik", "wojcick", "voitsik"),
    ("kowalski", "kovalski"),
    ("kowalczyk", "kovalchyk"),
    ("lewandowski", "levandovski"),
    ("kaminski", "kaminsky"),
    ("dabrowski", "dombrowski", "dombrovski"),
    ("kozlowski", "kozlovski", "kozlowsky"),
    ("zielinski", "zelinski", "zielinsky"),
    ("szymanski", "shimanski", "szymansky"),
    ("wozniak", "vozniak"),
    ("mazur", "masur"),
    ("pawel", "pavel", "paul", "paulo", "pablo"),
    ("michal", "michael", "mihai", "mihail", "mikhail", "michele", "miguel", "mikel", "mikael"),
    ("lukasz", "lucas", "lukas", "luca", "luke"),
    ("piotr", "peter", "petru", "pedro", "pieter", "petr", "pietro", "petros"),
    ("jakub", "jacob", "jakob", "iacob", "yakub", "yaqub", "jacub"),
    ("krzysztof", "christopher", "cristofor", "kristof", "christoph", "kristoffer"),
    (
        "aleksander",
        "alexander",
        "alexandru",
        "aleksandr",
        "alejandro",
        "alessandro",
        "aleksandar",
        "alexandre",
        "iskander",
        "iskandar",
        "sikandar",
        "skender",
        "alexandros",
    ),
    ("aleksandra", "alexandra", "alessandra", "alejandra", "aleksandrina"),
    (
        "katarzyna",
        "katherine",
        "catherine",
        "kathryn",
        "katharine",
        "katrina",
        "catrina",
        "ecaterina",
        "caterina",
        "katerina",
        "ekaterina",
        "yekaterina",
        "kateryna",
        "catarina",
        "katarina",
        "catalina",
    ),
    ("malgorzata", "margaret", "margareta", "margarita", "marguerite", "margherita"),
    ("agnieszka", "agnes", "ines", "inez", "ynes", "agnese"),
    ("tomasz", "thomas", "tomas", "toma", "tomos", "tommaso"),
    (
        "andrzej",
        "andrew",
        "andrei",
        "andrey",
        "andreas",
        "andres",
        "andrea",
        "andre",
        "andreu",
        "andria",
    ),
    ("stefan", "stephen", "steven", "stephan", "esteban", "stefano", "stephanos", "istvan"),
    (
        "jan",
        "john",
        "ion",
        "ioan",
        "jon",
        "juan",
        "joao",
        "giovanni",
        "johann",
        "johannes",
        "ivan",
        "ian",
        "sean",
        "shaun",
        "shawn",
        "eoin",
        "evan",
        "ioannis",
        "yiannis",
        "giannis",
        "gjon",
        "jovan",
    ),
    ("anna", "ana", "ann", "anne", "hanna", "hannah", "ane", "ana maria"),
    ("maria", "mary", "marie", "maija", "mari", "mariya", "mariia", "maire", "moira"),
    (
        "elzbieta",
        "elizabeth",
        "elisabeth",
        "elisabeta",
        "elisabetta",
        "elisavet",
        "isabel",
        "isabella",
        "isobel",
        "elspeth",
    ),
    ("zofia", "sophia", "sofia", "sophie", "sofija", "sofie"),
    ("jozef", "joseph", "jose", "giuseppe", "josef", "iosif"),
    ("wojciech", "voytek", "wojtek"),
    ("grzegorz", "gregory", "grigore", "gregor", "gregorio", "grigoris"),
    ("mateusz", "matthew", "matei", "mateo", "matteo", "matheus", "matthias", "matias", "mattias"),
    ("marcin", "martin", "martyn", "marti", "martino"),
    ("ionut", "ionutz"),
    ("gheorghe", "george", "georgios", "giorgos", "jorge", "jorgji", "yiorgos", "georgi"),
    ("georgiou", "yiorgiou", "georgio"),
    (
        "constantin",
        "constantine",
        "konstantin",
        "konstantinos",
        "costas",
        "kostas",
        "costin",
        "kostandin",
    ),
    ("constantinou", "konstantinou"),
    ("panayiotis", "panagiotis", "panayotis"),
    (
        "dimitrios",
        "dimitri",
        "dimitris",
        "dumitru",
        "demetrios",
        "dmitri",
        "dmitry",
        "dimitar",
        "demetris",
    ),
    (
        "nikolaos",
        "nicholas",
        "nicolas",
        "nicolae",
        "nikolai",
        "nikola",
        "nicola",
        "niccolo",
        "nikolas",
        "nicolau",
    ),
    ("vasile", "vasilis", "vassilis", "basil", "vasily", "vasil"),
    ("florin", "florian"),
    ("adrian", "adrien", "adriano"),
    ("cristian", "christian", "kristian", "cristiano"),
    ("gabriel", "gavriil", "gabriele", "gavril"),
    ("daniel", "danyal", "daniyal", "danial", "daniele", "danijel"),
    ("daniela", "daniella", "danielle"),
    ("emanuel", "emmanuel", "manuel", "immanuel"),
    ("arben", "arbeni"),
    ("besnik", "besniku"),
    ("arjan", "arian", "aryan", "arjun"),
    ("gentian", "genti"),
    ("ilir", "iliri"),
    ("fatos", "fatosh"),
    ("dritan", "driton"),
    ("hoxha", "hoxa", "hodja", "hoca", "hodzha"),
    ("krasniqi", "krasnici"),
    ("berisha", "berishaj"),
    ("gashi", "gashaj"),
    # Portuguese and Spanish
    ("goncalves", "goncalvez", "gonsalves", "gonzalves"),
    ("rodrigues", "rodriguez", "rodriges"),
    ("fernandes", "fernandez"),
    ("gomes", "gomez"),
    ("lopes", "lopez"),
    ("martins", "martinez", "martines"),
    ("pereira", "perera", "pereyra"),
    ("silva", "sylva", "da silva", "dasilva"),
    ("santos", "dos santos", "dossantos"),
    ("sousa", "souza", "de sousa", "desousa"),
    ("joana", "joanna", "johanna", "ioana", "juana", "giovanna", "joanne", "jo anne"),
    # Greek
    ("christodoulou", "christodolou"),
    ("papadopoulos", "papadopoulou", "papadopolous"),
    ("ioannou", "ioanou"),
    ("charalambous", "haralambous", "charalambos"),
    ("nicolaou", "nikolaou"),
    # Nigerian, Ghanaian, Eritrean, Congolese
    ("oluwaseun", "oluseun", "seun"),
    ("oluwatobi", "olutobi", "tobi"),
    ("oluwadamilola", "damilola", "dami"),
    ("oluwafemi", "olufemi", "femi"),
    ("oluwatosin", "olutosin", "tosin"),
    ("oluwakemi", "olukemi", "kemi"),
    ("oluwabukola", "bukola", "bukky"),
    ("chukwuemeka", "chukuemeka", "emeka", "chukwuemaka"),
    ("chukwudi", "chukudi"),
    ("chidinma", "chidimma"),
    ("ngozi", "ngozie"),
    ("chinedu", "chinedum"),
    ("adebayo", "adebayor", "adebajo"),
    ("adeyemi", "adeyami"),
    ("okonkwo", "okonkow"),
    ("babatunde", "tunde"),
    ("temitope", "tope", "temi"),
    ("olamide", "lamide"),
    ("oyinkansola", "oyinkan"),
    # Akan day names, with their Fante and Ewe forms (a child born on a Tuesday is Kwabena
    # in Twi and Kobina in Fante): one person is written both ways in one family's records.
    ("kwasi", "kwesi", "akwasi", "kwesy", "kosi"),
    ("kwadwo", "kojo", "kodjo", "kodwo", "jojo", "kwadjo"),
    ("kwabena", "kwabina", "kobina", "kabena", "kwabenah", "kobena"),
    ("kwaku", "kweku", "kuuku", "kwaaku"),
    ("yaw", "yao", "ekow", "yawo"),
    ("kofi", "koffi", "fiifi"),
    ("kwame", "kwamena", "kwamina", "kwami"),
    ("akosua", "akos", "esi"),
    ("adwoa", "adjoa", "ajoa", "adjowa"),
    ("abena", "abenaa", "araba"),
    ("akua", "ekua", "akuah", "akwa"),
    ("yaa", "yaaa"),
    ("afua", "efua", "afia"),
    ("ama", "amma"),
    ("mensah", "mensa"),
    ("owusu", "owusuh"),
    ("boateng", "boatang"),
    ("asante", "ashanti"),
    ("tesfay", "tesfaye", "tesfai"),
    ("berhane", "berhe", "birhane"),
    ("ghebreyesus", "gebreyesus", "gebreiesus"),
    ("gebremedhin", "ghebremedhin", "gebremedin"),
    ("haile", "hailu", "haille"),
    ("exauce", "exaucee"),
    # Irish and Scottish, and the Caribbean and English spellings met in London records
    ("siobhan", "shivaun", "shevaun", "chevonne", "shavon"),
    ("niamh", "neve", "neave", "neeve"),
    ("aoife", "eva", "eve", "ifa"),
    ("caoimhe", "keeva", "keva"),
    ("saoirse", "sersha", "searsha"),
    ("ciaran", "kieran", "kieron", "ciaron", "keiran"),
    ("padraig", "patrick", "patrice", "patricio", "padraic"),
    ("seamus", "shamus", "james", "jaime", "jacques", "giacomo", "jaume", "diego"),
    ("eamon", "eamonn", "edmund", "edmond"),
    ("conor", "connor", "conner", "konnor"),
    ("declan", "deklan"),
    ("aidan", "aiden", "ayden", "aden", "aodhan"),
    ("brendan", "brandon", "brenden"),
    ("mcdonald", "macdonald", "mc donald", "mac donald"),
    ("mckenzie", "mackenzie", "mc kenzie"),
    ("mcarthy", "mccarthy", "maccarthy", "mc carthy"),
    ("obrien", "o brien", "obrian", "o brian"),
    ("oconnor", "o connor", "oconner"),
    ("oneill", "o neill", "oneil", "o neil"),
    ("jermaine", "germaine", "jermain"),
    ("shanice", "shaniece", "shaneice", "shanise"),
    ("aaliyah", "aliyah", "aleah", "aliya", "aaliya", "alia", "aliyya"),
    ("kayleigh", "kayley", "kaylee", "kaley", "kayla", "kaleigh", "caleigh"),
    ("leanne", "lee anne", "leann", "lianne"),
    ("jade", "jayde"),
    ("chantelle", "chantel", "shantelle", "shantel"),
    ("tyrone", "tyron"),
    ("dwayne", "duane", "dewayne"),
    ("reece", "rhys", "reese", "rees"),
    ("jayden", "jaden", "jaiden", "jaydon"),
    ("kyle", "kile"),
    ("leon", "leone", "lionel"),
    ("demi", "demmi"),
    ("stacey", "stacy", "stacie"),
    ("tracey", "tracy", "tracie"),
    ("zoe", "zoey", "zoee"),
    ("chloe", "khloe", "cloe"),
    ("megan", "meghan", "meagan"),
    ("caitlin", "kaitlyn", "katelyn", "caitlyn", "kaitlin"),
    ("sarah", "sara", "zara", "sarra"),
    ("rebecca", "rebekah", "rebeca", "rivka"),
    ("jonathan", "jonathon", "johnathan"),
    ("philip", "phillip", "filip", "felipe", "filippo", "philippe"),
    ("geoffrey", "jeffrey", "jeffery", "geoff", "jeff"),
    ("clarke", "clark"),
    ("lewis", "louis", "luis", "luiz", "ludovic", "ludwig"),
    ("thompson", "thomson", "tomson"),
    ("smith", "smyth", "smythe"),
    ("brown", "browne"),
    ("gray", "grey"),
    ("reid", "reed", "read"),
    ("stewart", "stuart"),
    ("matthews", "mathews"),
    ("phillips", "philips"),
    ("davies", "davis", "davys"),
    ("nguyen", "nguyn", "ngyuen", "nguen", "nuyen"),
    ("pham", "fam"),
    # Chinese: one surname (王) in pinyin and in Cantonese romanisation; one family's records
    # write it both ways
    ("wang", "wong"),
    # 张, 刘, 周 in pinyin, Wade-Giles and Cantonese romanisation
    ("zhang", "chang", "cheung"),
    ("liu", "lau"),
    ("zhou", "chow", "chau"),
    # Indian subcontinent (Hindu and Sikh names)
    ("singh", "sing"),
    ("kaur", "kour"),
    ("patel", "patell", "pattel"),
    ("sharma", "sarma"),
    ("gupta", "gupt"),
    ("kumar", "kumarr"),
    ("rajesh", "rajeshwar"),
    ("sanjay", "sanjai"),
    ("vijay", "vijai"),
    ("lakshmi", "laxmi", "lakshmee"),
    ("priya", "preeya", "pria"),
    ("deepak", "dipak"),
    ("pradeep", "pradip"),
    ("gurpreet", "gurprit"),
    ("harpreet", "harprit"),
    ("mandeep", "mandip"),
    ("sandeep", "sandip"),
    ("jaspreet", "jasprit"),
    ("ravinder", "ravindra", "rabindra", "ravindar"),
    ("surinder", "surindar", "surendra"),
    ("shabana", "shabnam"),
    ("rukhsana", "ruksana"),
    ("shazia", "shaziya"),
    ("parveen", "parvin", "perveen", "parvine"),
)

# Short forms and pet names -> the full name they usually stand for (several when ambiguous).
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "bob": ("robert",),
    "bobby": ("robert",),
    "rob": ("robert",),
    "robbie": ("robert",),
    "bert": ("robert", "albert", "herbert"),
    "bill": ("william",),
    "billy": ("william",),
    "will": ("william",),
    "willie": ("william",),
    "liam": ("william",),
    "jim": ("james",),
    "jimmy": ("james",),
    "jamie": ("james",),
    "jas": ("james",),
    "mike": ("michael",),
    "mick": ("michael",),
    "micky": ("michael",),
    "mikey": ("michael",),
    "tom": ("thomas",),
    "tommy": ("thomas",),
    "dan": ("daniel",),
    "danny": ("daniel",),
    "chris": ("christopher", "christine", "christina", "christian", "christos"),
    "kit": ("christopher",),
    "tony": ("anthony", "antonio", "antonios"),
    "ant": ("anthony",),
    "anton": ("anthony",),
    "antoni": ("anthony",),
    "joe": ("joseph",),
    "joey": ("joseph",),
    "jo": ("joanna", "josephine", "joseph"),
    "jon": ("jonathan", "jan"),
    "jonny": ("jonathan", "jan"),
    "johnny": ("jan",),
    "jack": ("jan",),
    "matt": ("mateusz",),
    "matty": ("mateusz",),
    "mati": ("mateusz",),
    "nick": ("nikolaos",),
    "nicky": ("nikolaos", "nicola"),
    "nico": ("nikolaos",),
    "sam": ("samuel", "samantha"),
    "sammy": ("samuel", "samantha"),
    "sammie": ("samantha",),
    "ben": ("benjamin",),
    "benny": ("benjamin",),
    "alex": ("aleksander", "aleksandra"),
    "alec": ("aleksander",),
    "sandy": ("aleksander", "aleksandra"),
    "sasha": ("aleksander",),
    "olek": ("aleksander",),
    "ola": ("aleksandra",),
    "olesia": ("aleksandra",),
    "steve": ("stefan",),
    "stevie": ("stefan",),
    "rich": ("richard",),
    "richie": ("richard",),
    "dick": ("richard",),
    "rick": ("richard", "eric"),
    "ricky": ("richard",),
    "josh": ("joshua",),
    "nathan": ("nathaniel",),
    "nate": ("nathaniel",),
    "becky": ("rebecca",),
    "becca": ("rebecca",),
    "liz": ("elzbieta",),
    "lizzie": ("elzbieta",),
    "beth": ("elzbieta",),
    "betty": ("elzbieta",),
    "eliza": ("elzbieta",),
    "ela": ("elzbieta",),
    "elka": ("elzbieta",),
    "jess": ("jessica",),
    "jessie": ("jessica",),
    "kate": ("katarzyna",),
    "katie": ("katarzyna",),
    "kat": ("katarzyna",),
    "kathy": ("katarzyna",),
    "cathy": ("katarzyna",),
    "kasia": ("katarzyna",),
    "kaska": ("katarzyna",),
    "vicky": ("victoria",),
    "vicki": ("victoria",),
    "tori": ("victoria",),
    "jen": ("jennifer",),
    "jenny": ("jennifer",),
    "tash": ("natasha",),
    "tasha": ("natasha",),
    "abbie": ("abigail",),
    "abby": ("abigail",),
    "abi": ("abigail",),
    "charlie": ("charlotte", "charles"),
    "lottie": ("charlotte",),
    "liv": ("olivia",),
    "paddy": ("padraig",),
    "pat": ("padraig", "patricia"),
    "patsy": ("patricia",),
    "trish": ("patricia",),
    "mo": ("mohammed", "maurice"),
    "moe": ("mohammed",),
    "hamid": ("hamid",),
    "abdi": ("abdi", "abdullahi", "abdirahman", "abdikadir"),  # Somali short form of the Abdi- names
    "dami": ("oluwadamilola",),
    "lola": ("oluwadamilola", "dolores"),
    "tope": ("temitope",),
    "emeka": ("chukwuemeka",),
    "tunde": ("babatunde",),
    "gabi": ("gabriel", "gabriela"),
    "krzys": ("krzysztof",),
    "krzysiek": ("krzysztof",),
    "magda": ("magdalena",),
    "gosia": ("malgorzata",),
    "maggie": ("malgorzata",),
    "meg": ("malgorzata",),
    "peggy": ("malgorzata",),
    "kuba": ("jakub",),
    "jake": ("jakub",),
    "tomek": ("tomasz",),
    "pawelek": ("pawel",),
    "marek": ("marek",),
    "basia": ("barbara",),
    "babs": ("barbara",),
    "ania": ("anna",),
    "annie": ("anna",),
    "zosia": ("zofia",),
    "wojtek": ("wojciech",),
    "grzes": ("grzegorz",),
    "greg": ("grzegorz",),
    "agi": ("agnieszka",),
    "aga": ("agnieszka",),
    "panos": ("panayiotis",),
    "takis": ("panayiotis",),
    "santi": ("santiago",),
    "seb": ("sebastian",),
    "vale": ("valentina",),
    "dave": ("david",),
    "davey": ("david",),
    "davy": ("david",),
    "dai": ("david",),
    "ed": ("edward", "edmund"),
    "eddie": ("edward",),
    "ted": ("edward",),
    "ned": ("edward",),
    "fred": ("frederick",),
    "freddie": ("frederick",),
    "harry": ("henry", "harold"),
    "hal": ("henry",),
    "andy": ("andrzej",),
    "drew": ("andrzej",),
    "pete": ("piotr",),
    "petey": ("piotr",),
    "phil": ("philip",),
    "pip": ("philip",),
    "tim": ("timothy",),
    "timmy": ("timothy",),
    "ken": ("kenneth",),
    "kenny": ("kenneth",),
    "len": ("leonard",),
    "lenny": ("leonard",),
    "leo": ("leonard", "leon"),
    "ron": ("ronald",),
    "ronnie": ("ronald",),
    "don": ("donald",),
    "donny": ("donald",),
    "jerry": ("gerald",),
    "gerry": ("gerald",),
    "ray": ("raymond",),
    "vince": ("vincent",),
    "vinny": ("vincent",),
    "al": ("alan", "albert", "ali"),
    "fran": ("francis", "frances"),
    "frank": ("francis",),
    "frankie": ("francis",),
    "terry": ("terence",),
    "del": ("derek",),
    "degsy": ("derek",),
    "lew": ("lewis",),
    "reg": ("reginald",),
    "sue": ("susan",),
    "susie": ("susan",),
    "suzy": ("susan",),
    "jackie": ("jacqueline",),
    "jacqui": ("jacqueline",),
    "mandy": ("amanda",),
    "mands": ("amanda",),
    "debbie": ("deborah",),
    "debs": ("deborah",),
    "nicki": ("nicola",),
    "nikki": ("nicola",),
    "mel": ("melanie", "melissa"),
    "steph": ("stephanie",),
    "em": ("emma", "emily"),
    "emmy": ("emily",),
    "millie": ("amelia", "millicent"),
    "milly": ("amelia",),
    "ellie": ("eleanor", "elena"),
    "nell": ("eleanor",),
    "nora": ("eleanor",),
    "lucy": ("lucia",),
    "izzy": ("elzbieta",),
    "bella": ("elzbieta",),
    "georgie": ("georgina", "gheorghe"),
    "gina": ("georgina",),
    "rosie": ("rose", "rosemary"),
    "tilly": ("matilda",),
    "maddie": ("madison", "madeleine"),
    "maddy": ("madison",),
    "sophie": ("zofia",),
    "fiona": ("fiona",),
    "mimi": ("maria",),
    "molly": ("maria",),
    "polly": ("maria",),
    "cat": ("katarzyna",),
    "mihai": ("michal",),
    "miha": ("michal",),
    "misha": ("michal",),
    "costi": ("constantin",),
    "ionel": ("jan",),
    "nelu": ("jan",),
    "gigi": ("gheorghe",),
    "fane": ("stefan",),
    "sandu": ("aleksander",),
    "lica": ("vasile",),
    "dumi": ("dimitrios",),
    "dimi": ("dimitrios",),
    "niko": ("nikolaos",),
    "kostas": ("constantin",),
    "yianni": ("jan",),
    "giorgos": ("gheorghe",),
    "mehmet": ("mohammed",),
    "memo": ("mohammed",),
    "hus": ("hussain",),
    "abdul": ("abdul",),
    "zak": ("zakaria",),
    "zack": ("zakaria",),
    "ish": ("ismail",),
    "ibby": ("ibrahim",),
    "ibra": ("ibrahim",),
    "yusi": ("yusuf",),
    "sully": ("suleiman",),
    "hamz": ("hamza",),
    "bilo": ("bilal",),
    "kwes": ("kwesi",),
    "kobby": ("kwabena",),
    "fifi": ("fatima",),
    "fati": ("fatima",),
    "tima": ("fatima",),
    "yas": ("yasmin",),
    "jaz": ("yasmin",),
    "jazz": ("yasmin",),
    "mimz": ("mariam",),
    "raj": ("rajesh",),
    "sunny": ("sunil",),
    "dev": ("devendra",),
    "pree": ("priya",),
    "lakhi": ("lakshmi",),
    "bobbie": ("roberta",),
    "robyn": ("robin",),
    "seun": ("oluwaseun",),
    "tobi": ("oluwatobi",),
    "femi": ("oluwafemi",),
    "tosin": ("oluwatosin",),
    "kemi": ("oluwakemi",),
    "bukky": ("oluwabukola",),
    "bayo": ("adebayo",),
    "mide": ("olumide",),
    "manny": ("emmanuel",),
    "dima": ("dmitri",),
    "katya": ("ekaterina",),
    "nastya": ("anastasia",),
}

_FOLD_RULES: tuple[tuple[str, str], ...] = (
    # Order matters: digraphs first, then vowels, then doubled letters (applied last).
    ("ph", "f"),
    ("kh", "k"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("sh", "s"),
    ("ch", "c"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("z", "s"),
    ("w", "v"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ie", "i"),
    ("ei", "i"),
    ("ey", "i"),
    ("ay", "ai"),
    ("y", "i"),
    ("ah", "a"),
    ("eh", "e"),
)
# fmt: on
_NON_LETTER = re.compile(r"[^a-z ]+")
_DOUBLE = re.compile(r"(.)\1+")


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters and single spaces; accents stripped, other marks dropped."""
    text = fold_ascii(to_latin(str(text))).lower().replace("-", " ")
    text = text.replace("'", "").replace("\u2019", "")
    return " ".join(_NON_LETTER.sub(" ", text).split())


def fold_spelling(name: str) -> str:
    """A spelling skeleton: common transliteration differences folded (ph/f, ou/u, y/i, kh/k,
    doubled letters). Two spellings of one name usually share it; distinct names rarely do."""
    text = _ascii_lower(name).replace(" ", "")
    for _ in range(8):  # repeat to a fixed point, so that folding a skeleton changes nothing
        before = text
        for old, new in _FOLD_RULES:
            text = text.replace(old, new)
        if len(text) > 1 and text.endswith("h"):
            text = text[:-1]
        text = _DOUBLE.sub(r"\1", text)
        if text == before:
            break
    return text


def _build_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(exact spelling -> key, folded spelling -> key); the first group to claim a form wins."""
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for group in _VARIANT_GROUPS:
        key = _ascii_lower(group[0]).replace(" ", "")
        for spelling in group:
            clean = _ascii_lower(spelling).replace(" ", "")
            exact.setdefault(clean, key)
            folded.setdefault(fold_spelling(clean), key)
    return exact, folded


_EXACT, _FOLDED = _build_tables()
_NICKNAME_TABLE: dict[str, tuple[str, ...]] = {
    _ascii_lower(short).replace(" ", ""): tuple(_ascii_lower(f) for f in fulls)
    for short, fulls in _NICKNAMES.items()
}


def table_spellings() -> list[str]:
    """Every spelling in the tables (variant groups, nicknames and their full names), cleaned."""
    spellings = [_ascii_lower(s).replace(" ", "") for group in _VARIANT_GROUPS for s in group]
    for short, fulls in _NICKNAME_TABLE.items():
        spellings.append(short)
        spellings.extend(f.replace(" ", "") for f in fulls)
    return spellings


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """The equivalence key of one name token, stable under re-keying (see `_name_key`)."""
    key = _name_key(name)
    for _ in range(8):
        again = _name_key(key)
        if again == key:
            break
        key = again
    return key


def _name_key(name: str) -> str:
    """The equivalence key of one name token: its variant group's key when the spelling (or its
    folded skeleton) is in the tables, else its folded skeleton. Never raises; '' for no name."""
    clean = _ascii_lower(name or "").replace(" ", "")
    if not clean:
        return ""
    if clean in _EXACT:
        return _EXACT[clean]
    skeleton = fold_spelling(clean)
    return _FOLDED.get(skeleton, skeleton)


@lru_cache(maxsize=200_000)
def forename_keys(name: str) -> tuple[str, ...]:
    """Every equivalence key a forename may stand for: its own key and, for a nickname, the
    keys of the full names it is short for (Sam -> samuel and samantha). Sorted, no repeats."""
    clean = _ascii_lower(name or "").replace(" ", "")
    if not clean:
        return ()
    keys = {name_key(clean)}
    for full in _NICKNAME_TABLE.get(clean, ()):
        keys.add(name_key(full))
    keys.discard("")
    return tuple(sorted(keys))


@lru_cache(maxsize=200_000)
def surname_key(name: str) -> str:
    """The equivalence key of a surname; each part of a compound surname is keyed separately
    and joined with a space ('Smith-Jones' -> 'smith jones'). Stable under re-keying."""
    key = _surname_key(name)
    for _ in range(8):
        again = _surname_key(key)
        if again == key:
            break
        key = again
    return key


def _surname_key(name: str) -> str:
    parts = _ascii_lower(name or "").split()
    joined = "".join(parts)
    if joined in _EXACT:  # compound spellings that are one entry: "da silva", "o brien"
        return _EXACT[joined]
    return " ".join(key for key in (name_key(part) for part in parts) if key)


@lru_cache(maxsize=200_000)
def forename_key(name: str) -> str:
    """The single key used to block on a forename: a nickname's (first) full name's key, else
    the name's own key (Bob -> robert, Kasia -> katarzyna, Muhammad -> mohammed)."""
    clean = _ascii_lower(name or "").replace(" ", "")
    fulls = _NICKNAME_TABLE.get(clean)
    return name_key(fulls[0]) if fulls else name_key(clean)
