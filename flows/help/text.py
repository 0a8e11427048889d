"""Questions as the matcher sees them: folded, split, stemmed, and told apart as French or English.

Snowball's stemmer (the snowballstemmer package) and character n-grams are enough for short questions
about one app, need no model download, and run in microseconds. Accents are folded ("impayé" and
"impaye" are one word) because people type without them in chat.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+")
_STEMMER = snowballstemmer.stemmer("english")


def word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words: they say which language a question is in, and nothing about what it asks.
FRENCH_WORDS = word_set(
    """
    le la les un une des de du d l au aux et ou est sont je j me m mon ma mes ton ta tes son sa ses notre nos
    votre vos leur leurs ce cet cette ces c ca qui que qu quoi quel quelle quels quelles comment pourquoi ou
    quand combien il elle ils elles on nous vous tu y en ne n pas plus avec pour par sur dans sans chez
    faire fait peut peux puis dois doit faut veux voudrais aimerais est-ce estce avoir ai as a ont etre suis
    bonjour salut merci svp stp encore deja aussi tres tout toute tous toutes si mais donc car alors
    cest jai ya quelqu quelque mettre mets met place billbot peuvent pouvez pouvons pourrait pourrais arrive
    """
)
ENGLISH_WORDS = word_set(
    """
    the a an and or is are was were be been i me my you your we our they their it its this that these
    those what which who whom whose how why where when do does did done can could should would will shall
    may might must to of in on at by for with without from into about not no yes there here have has had
    hi hello thanks please any some all also just still yet get got go going want need up out so if but
    hasn hasnt isn isnt don dont doesn doesnt didn didnt cant won wont aren arent haven havent wasn wasnt
    whats thats im ive id ll ve re hey pls plz put make billbot them us him her
    """
)
# Words of time that say when, not what: "la séance d'aujourd'hui" asks about a session, not about a day.
# Every question in a help channel asks for help: the word says nothing about which answer.
# Nor do "how does it work" and "in Slack" (everything here happens in Slack).
HELP_WORDS = word_set(
    "help helps helping aider aide aidez work works working worked marche fonctionne fonctionnement slack"
)
TIME_WORDS = word_set(
    """
    aujourd hui demain hier soir today tomorrow yesterday tonight
    monday tuesday wednesday thursday friday saturday sunday lundi mardi mercredi jeudi vendredi samedi dimanche
    mr mrs ms mme mlle madame monsieur
    """
)
STOPWORDS = FRENCH_WORDS | ENGLISH_WORDS | TIME_WORDS | HELP_WORDS

# What billing with Billbot is about, in both languages. A question that uses none of these words (nor a
# word one typo away from one) is not a question Billbot's articles answer, however close its other words
# come to an example: "qui est de garde ce week-end ?" shares "garder" with the saved-card article only.
DOMAIN_WORDS = word_set(
    """
    invoice invoices invoicing invoiced bill bills billing billed pay paid paying payment payments payout
    payouts unpaid owe owed owes owing outstanding overdue due late charge charged charges stripe card cards
    debit sepa link checkout currency currencies dollar dollars euro euros eur usd gbp chf jpy yen pound pounds
    vat tax taxes gst rate rates exempt address siret company logo template theme colour color branding footer
    brand reminder reminders remind nudge chase client clients patient patients customer customers session
    sessions appointment appointments consultation consultations visit visits pdf receipt receipts download
    void cancel cancelled refund status onboarding verification verify verified account bank iban price prices
    service services line lines item items amount total deposit money
    facture factures facturer facturation facturee payer paye payee payes paiement paiements impaye impayee
    impayes impayees regler regle reglee reglement encaisser encaisse encaissement doit doivent retard ttc
    echeance relance relances relancer rappel rappels carte cartes prelevement lien devise devises monnaie
    franc francs tva taxe taux exonere adresse societe entreprise modele couleur cliente clientes patiente
    patientes seance seances rendezvous rdv recu recus telecharger annuler annulation annulee
    remboursement statut compte banque virement tarif tarifs prestation prestations ligne lignes montant
    acompte argent
    calendar calendars agenda agendas ical ics webcal calendrier calendriers
    refund refunds refunded refunding reimburse autopay csv export excel spreadsheet accountant report reports
    figures revenue collect collected privacy private initials archive archived unarchive merge duplicate
    forget gdpr deadline instalment instalments installment installments partial cash cheque check transfer
    wire superbill superbills insurance claim claims payroll quote quotes estimate subscription recurring sms
    paypal venmo quickbooks xero earn earned earnings inv quantity quantite
    rembourser rembourse remboursee remboursements especes cheques comptable exporter tableur rapport
    chiffres confidentialite initiales archiver archivee fusionner doublon oublier rgpd mutuelle
    teletransmission paie devis abonnement impots impot urssaf
    """
)

# Words that name the same thing, across the two languages and common spellings: the matcher sees one.
SYNONYMS: dict[str, str] = {
    "bill": "invoice",
    "bills": "invoice",
    "billing": "invoice",
    "invoices": "invoice",
    "invoicing": "invoice",
    "invoiced": "invoice",
    "facture": "invoice",
    "factures": "invoice",
    "facturer": "invoice",
    "facturation": "invoice",
    "facturee": "invoice",
    "facturees": "invoice",
    "fact": "invoice",
    "inv": "invoice",
    "devise": "currency",
    "devises": "currency",
    "monnaie": "currency",
    "currencies": "currency",
    "eur": "currency",
    "euro": "currency",
    "euros": "currency",
    "usd": "currency",
    "dollar": "currency",
    "dollars": "currency",
    "gbp": "currency",
    "chf": "currency",
    "yen": "currency",
    "jpy": "currency",
    "cad": "currency",
    "aud": "currency",
    "sek": "currency",
    "nok": "currency",
    "dkk": "currency",
    "pln": "currency",
    "pound": "currency",
    "pounds": "currency",
    "sterling": "currency",
    "livre": "currency",
    "livres": "currency",
    "franc": "currency",
    "francs": "currency",
    "nzd": "currency",
    "sgd": "currency",
    "hkd": "currency",
    "mxn": "currency",
    "brl": "currency",
    "inr": "currency",
    "tva": "tax",
    "taxe": "tax",
    "taxes": "tax",
    "vat": "tax",
    "gst": "tax",
    "hst": "tax",
    "rappel": "reminder",
    "rappels": "reminder",
    "relance": "reminder",
    "relances": "reminder",
    "relancer": "reminder",
    "reminders": "reminder",
    "remind": "reminder",
    "nudge": "reminder",
    "annuler": "void",
    "annule": "void",
    "annulee": "void",
    "annulation": "void",
    "cancel": "void",
    "cancelled": "void",
    "canceled": "void",
    "voided": "void",
    "voiding": "void",
    "telecharger": "download",
    "downloaded": "download",
    "modele": "template",
    "modeles": "template",
    "gabarit": "template",
    "templates": "template",
    "logo": "logo",
    "patient": "client",
    "patients": "client",
    "patiente": "client",
    "customer": "client",
    "customers": "client",
    "clients": "client",
    "cliente": "client",
    "clientes": "client",
    "seance": "session",
    "seances": "session",
    "sessions": "session",
    "rdv": "session",
    "rendezvous": "session",
    "appointment": "session",
    "appointments": "session",
    "lien": "link",
    "liens": "link",
    "links": "link",
    "carte": "card",
    "cartes": "card",
    "cards": "card",
    "cb": "card",
    "adresse": "address",
    "adresses": "address",
    "paid": "paid",
    "payee": "paid",
    "payees": "paid",
    "paye": "paid",
    "regle": "paid",
    "reglee": "paid",
    "impaye": "unpaid",
    "impayee": "unpaid",
    "impayees": "unpaid",
    "impayes": "unpaid",
    "outstanding": "unpaid",
    "paiement": "payment",
    "paiements": "payment",
    "paiment": "payment",
    "payments": "payment",
    "inscris": "inscrire",
    "inscrit": "inscrire",
    "inscription": "inscrire",
    "compte": "account",
    "comptes": "account",
    "accounts": "account",
    "statut": "status",
    "mail": "email",
    "overpaid": "overpay",
    "overpay": "overpay",
    "mails": "email",
    "emails": "email",
    "courriel": "email",
    "etat": "status",
    "state": "status",
}


def fold(text: str) -> str:
    """Lower case without accents or ligatures: ``Qu'est-ce qui est impayé ?`` → ``qu'est-ce qui est impaye ?``."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of ``text``, stop words included."""
    return _WORD.findall(fold(text).replace("rendez-vous", "rendez_vous").replace("_", ""))


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    """Snowball's English stemmer over both languages, after the synonyms that join them.

    Measured on every labelled set (issue 19) against the hand-written suffix list it replaced and against the
    French Snowball stemmer for questions detected as French: English Snowball for all came out best in both
    languages (a short question's language is often unsure, and French Snowball splits forms people mix).
    """
    word = SYNONYMS.get(word, word)
    if word.isdigit():
        return word
    return _STEMMER.stemWord(word)


# A title and the name after it ("M. Martin", "Mrs Lee", "Dr Nguyen") name a person, not what is asked.
_TITLED_NAME = re.compile(r"\b(?:M|Mr|Mrs|Ms|Mme|Mlle|Dr|Madame|Monsieur)\.?\s+[A-ZÀ-Ý][\w'’-]*")


def content_stems(text: str) -> list[str]:
    """What a question is about: its words minus function words, each reduced to its stem."""
    # Numbers ("INV-0042", "20 %", "3 days") say nothing about which article answers.
    text = _TITLED_NAME.sub(" ", text)
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]


def mentions_domain(question: str) -> bool:
    """Whether the question uses a word of Billbot's domain (see DOMAIN_WORDS), allowing one typo in it."""
    found = set(words(question))
    if found & DOMAIN_WORDS:
        return True
    return any(len(word) >= 4 and _one_edit_to_domain(word) for word in found)


@lru_cache(maxsize=20_000)
def _one_edit_to_domain(word: str) -> bool:
    return any(len(known) >= 4 and one_edit_apart(word, known) for known in DOMAIN_WORDS)


def one_edit_apart(a: str, b: str) -> bool:
    """A letter dropped, added, changed, or two neighbours swapped ("factur", "invocie", "strpie")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        if len(differ) == 1:
            return True
        first, second = differ[0], differ[-1]
        return len(differ) == 2 and second == first + 1 and a[first] == b[second] and a[second] == b[first]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def char_grams(stems: list[str], n: int = 3) -> list[str]:
    """Character n-grams of each word with its edges marked, so "invocie" still shares most of "invoice"."""
    grams: list[str] = []
    for word in stems:
        padded = f"<{word}>"
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


_FRENCH_LETTERS = re.compile(r"[éèêàùçôîœ]")


def detect_language(text: str, default: str = "en") -> str:
    """``fr`` or ``en`` from the question's own words (function words, accents), ``default`` when unsure."""
    found = words(text.replace("'", " ").replace("’", " "))
    french = sum(w in FRENCH_WORDS and w not in ENGLISH_WORDS for w in found)
    english = sum(w in ENGLISH_WORDS and w not in FRENCH_WORDS for w in found)
    french += 2 * len(_FRENCH_LETTERS.findall(text.lower()))
    french += sum(w in _FRENCH_CONTENT for w in found)
    english += sum(w in _ENGLISH_CONTENT for w in found)
    if french == english:
        return default
    return "fr" if french > english else "en"


# Content words that only one of the two languages uses: they settle questions with few function words.
_FRENCH_CONTENT = word_set(
    """
    facture factures facturer paiement paiements payer impaye impayee impayes impayees devise tva taxe relance
    relances rappel rappels modele adresse seance seances lien carte annuler telecharger combien doit
    regle reglee compte configurer parametres envoyer creer nouvelle nouveau patiente
    """
)
_ENGLISH_CONTENT = word_set(
    """
    invoice invoices bill payment payments pay unpaid owe owes currency tax reminder reminders template address
    session sessions link card cancel download setup settings send create new status paid overdue
    """
)
