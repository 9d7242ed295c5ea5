"""Names in the script of their origin, as some council records hold them.

A family's own documents, a translated referral or an interpreter's note can put a name
into a social-care record in Cyrillic, Arabic, Bengali, Greek, Chinese or Tamil script.
The forms below are the usual spellings of the hand-written names of `synth.names`; a
person's name is written in its script only when both their given and family names have a
form here (a half-transliterated name is not what such records show).
"""

from __future__ import annotations

__all__ = ["SCRIPT_OF_ORIGIN", "in_script"]

# Origin key -> the script its names are written in, when a record does not romanise them.
SCRIPT_OF_ORIGIN: dict[str, str] = {
    "russian_ukrainian": "cyrillic",
    "arabic": "arabic",
    "pakistani": "arabic",  # Urdu is written in the Arabic script
    "bangladeshi": "bengali",
    "greek_cypriot": "greek",
    "chinese": "han",
    "tamil": "tamil",
}


def _pairs(text: str) -> dict[str, str]:
    words = text.split()
    return dict(zip(words[::2], words[1::2], strict=True))


_FORMS: dict[str, dict[str, str]] = {
    "cyrillic": _pairs(
        "Dmitri Дмитрий Aleksandr Александр Sergei Сергей Andrei Андрей Ivan Иван "
        "Oleksandr Олександр Mykola Микола Yuri Юрий Maksim Максим Artem Артём "
        "Vladimir Владимир Pavel Павел Olga Ольга Natalia Наталья Yulia Юлия Tatiana Татьяна "
        "Anastasia Анастасия Irina Ирина Ekaterina Екатерина Svetlana Светлана Oksana Оксана "
        "Daria Дарья Ivanov Иванов Petrov Петров Smirnov Смирнов Kuznetsov Кузнецов "
        "Popov Попов Volkov Волков Shevchenko Шевченко Kovalenko Коваленко "
        "Bondarenko Бондаренко Melnyk Мельник Tkachenko Ткаченко Morozov Морозов"
    ),
    "arabic": _pairs(
        "Mohammed محمد Muhammad محمد Ahmed أحمد Omar عمر Khalid خالد Youssef يوسف "
        "Karim كريم Samir سمير Tariq طارق Hassan حسن Ibrahim إبراهيم Walid وليد Ali علي "
        "Hamza حمزة Bilal بلال Usman عثمان Imran عمران Zain زين Adnan عدنان Faisal فيصل "
        "Fatima فاطمة Aisha عائشة Ayesha عائشة Mariam مريم Maryam مريم Layla ليلى Nour نور "
        "Yasmin ياسمين Huda هدى Rania رانيا Salma سلمى Amira أميرة Zainab زينب Sana ثناء "
        "Nadia نادية Mahmoud محمود Saleh صالح Abdullah عبدالله Haddad حداد Mansour منصور "
        "Nasser ناصر Khalil خليل Saeed سعيد Khan خان Hussain حسين Iqbal اقبال "
        "Mahmood محمود Akhtar اختر Shah شاه Malik ملک Qureshi قریشی Raza رضا"
    ),
    "bengali": _pairs(
        "Mohammed মোহাম্মদ Abdul আব্দুল Rahim রহিম Shahid শহীদ Rashid রশিদ Jamal জামাল "
        "Sohel সোহেল Faruk ফারুক Anwar আনোয়ার Kamal কামাল Fatema ফাতেমা Nasima নাসিমা "
        "Shirin শিরিন Taslima তাসলিমা Sultana সুলতানা Shamima শামীমা Jannat জান্নাত "
        "Sadia সাদিয়া Nusrat নুসরাত Begum বেগম Miah মিয়া Rahman রহমান Uddin উদ্দিন "
        "Ahmed আহমেদ Islam ইসলাম Hoque হক Khatun খাতুন Ali আলী Chowdhury চৌধুরী "
        "Hossain হোসেন Alam আলম Karim করিম"
    ),
    "greek": _pairs(
        "Andreas Ανδρέας Nikos Νίκος Christos Χρήστος Georgios Γεώργιος Costas Κώστας "
        "Michalis Μιχάλης Panayiotis Παναγιώτης Stelios Στέλιος Maria Μαρία Eleni Ελένη "
        "Christina Χριστίνα Sophia Σοφία Katerina Κατερίνα Androulla Ανδρούλλα "
        "Despina Δέσποινα Georgia Γεωργία Georgiou Γεωργίου Christodoulou Χριστοδούλου "
        "Constantinou Κωνσταντίνου Papadopoulos Παπαδόπουλος Ioannou Ιωάννου "
        "Charalambous Χαραλάμπους Nicolaou Νικολάου"
    ),
    "han": _pairs(
        "Wei 伟 Jun 军 Hao 浩 Ming 明 Jian 建 Lei 磊 Tao 涛 Yi 毅 Kai 凯 Mei 梅 Li 丽 Xin 欣 "
        "Ying 英 Jing 静 Hui 慧 Yan 燕 Ling 玲 Xiao 晓 Wang 王 Zhang 张 Chen 陈 Liu 刘 "
        "Yang 杨 Huang 黄 Zhao 赵 Wu 吴 Zhou 周 Lin 林 Wong 黄 Chan 陈 Lee 李 Ng 吴"
    ),
    "tamil": _pairs(
        "Suresh சுரேஷ் Kumaran குமரன் Ganesh கணேஷ் Rajan ராஜன் Senthil செந்தில் "
        "Dinesh தினேஷ் Prakash பிரகாஷ் Vinoth வினோத் Lakshmi லட்சுமி Priya பிரியா "
        "Kavitha கவிதா Sharmila ஷர்மிளா Nirmala நிர்மலா Shanthi சாந்தி Tharani தரணி "
        "Abirami அபிராமி Sivakumar சிவகுமார் Rajendran ராஜேந்திரன் Selvarajah செல்வராஜா "
        "Thevarajah தேவராஜா Kanagaratnam கனகரத்தினம் Sritharan ஸ்ரீதரன் "
        "Balasingham பாலசிங்கம்"
    ),
}
# The Chinese han form of the surname "Li" is 李; "Li" as a given name is 丽.
_HAN_FAMILY = {"Li": "李"}


def in_script(origin: str, given: str, family: str) -> tuple[str, str] | None:
    """(given, family) in the origin's own script, or None when either has no known form.

    Several given names (`Mohammed Abdul`) are written word by word.
    """
    script = SCRIPT_OF_ORIGIN.get(origin)
    if script is None:
        return None
    forms = _FORMS[script]
    words = given.split()
    if not words or not all(w in forms for w in words):
        return None
    family_form = (_HAN_FAMILY.get(family) if script == "han" else None) or forms.get(family)
    if family_form is None:
        return None
    return " ".join(forms[w] for w in words), family_form
