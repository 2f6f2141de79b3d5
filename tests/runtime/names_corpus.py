"""A labelled set for the name and address detector: texts written for the
tests, with invented people and addresses (any resemblance to real persons is
accidental).  ``{Anders Holm}`` marks a name, ``<Nørregade 12, 1165 København K>``
an address; :func:`parse` returns the plain text and the marked spans.

``NEGATIVES`` hold no personal data at all: product descriptions, code,
news-like text without people, sentences with words that are also names.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

_MARK = re.compile(r"\{([^{}]+)\}|<([^<>]+)>")


def parse(marked: str) -> Tuple[str, List[Tuple[int, int, str]]]:
    out: List[str] = []
    spans: List[Tuple[int, int, str]] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(marked):
        out.append(marked[pos:m.start()])
        length += m.start() - pos
        value = m.group(1) or m.group(2)
        spans.append((length, length + len(value), "NAME" if m.group(1) else "ADDRESS"))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(marked[pos:])
    return "".join(out), spans


LABELLED: Dict[str, List[str]] = {
    "da": [
        # a clinical note
        """Journalnotat, Afdeling B
Patient: {Karen Bøgh Lauridsen}, indlagt 3. marts.
Pårørende: datteren {Mette Sørensen}, <Egevej 14, 2. tv., 8210 Aarhus V>.
Patienten klager over smerter i venstre knæ. Overlæge {Lindgaard} har set hende og vurderer, at
{Karen} kan udskrives i morgen. {Sørensen}s mand kører hende hjem.
Samtale med hr. {Jensen} fra kommunen om hjemmepleje på <Skovbrynet 3, 8220 Brabrand>.
Hun nævnte, at hans kone også har været indlagt, og at hun bor godt.
Med venlig hilsen
{Anne-Marie Kjær}, sygeplejerske""",
        """Hej {Lasse},
kan du sende pakken til {Jens Peter Holm}, <Strandvejen 201, 2900 Hellerup>? Han har flyttet fra
<Nørregade 7, st. th., 1165 København K>. Bo og jeg ses på fredag.
Kærlig hilsen {Ida}""",
        """Kære fru {Thomsen}, tak for Deres henvendelse. Vi har opdateret adressen til
<Vestergade 22, 5000 Odense C>. Venlig hilsen {Mikkel Rasmussen}, kundeservice""",
    ],
    "sv": [
        # a CV
        """CURRICULUM VITAE
Namn: {Elin Margareta Lundqvist}
Adress: <Drottninggatan 45, 111 21 Stockholm>
Erfarenhet: Projektledare på ett logistikföretag 2015-2021, där jag ledde ett team på åtta personer.
Referens: {Johan Bergström}, tidigare chef. Kontakta även {Sofia Ek} vid frågor.
Jag talar svenska, engelska och tyska och har körkort.""",
        """Hej {Anders},
tack för mötet. Skicka fakturan till {Karin Nilsson}, <Sveavägen 12, 113 50 Stockholm>.
Hälsningar
{Per Lindberg}""",
    ],
    "no": [
        # a support ticket
        """Sak #4411: Levering mangler
Kunde: {Ola Kristian Haugen}
Adresse: <Storgata 18, 0184 Oslo>
Kunden melder at pakken ikke har kommet. {Haugen} ble lovet levering innen fredag.
Hei {Ola}, vi har sendt en ny pakke til <Karl Johans gate 22, 0159 Oslo>.
Vennlig hilsen
{Ingrid Solberg}, kundeservice""",
    ],
    "de": [
        # a letter
        """Sehr geehrte Frau {Schneider},
vielen Dank für Ihr Schreiben vom 4. Mai. Herr Dr. {Becker} hat Ihre Unterlagen geprüft.
Bitte senden Sie die Formulare an <Hauptstraße 5, 10115 Berlin> oder an unsere Filiale in der
<Berliner Straße 112, 60311 Frankfurt am Main>.
Ihr Ansprechpartner ist {Jürgen Hoffmann}.
Mit freundlichen Grüßen
{Claudia Wagner}""",
        """Hallo {Lukas},
der Termin mit {Sabine Krüger} ist am Montag. Die Adresse: <Gartenweg 3, 80331 München>.
Viele Grüße, {Tobias}""",
    ],
    "en": [
        # a ticket
        """Ticket 2231: refund request
Customer: {Emily Clarke}
Address: <221B Baker Street, London NW1 6XE>
{Emily} says the order arrived broken. I will be frank: the courier was late again.
Dear Mrs {O'Connor}, your replacement ships to <14 Elm Road, Leeds LS1 4AP> tomorrow.
Please contact {Daniel Hughes} or Mr {Patel} for updates.
Kind regards,
{Sarah Mitchell}""",
        """Hi {Tom},
{Grace Kelly} and {Will Smith} met {Mark Brown}'s team. Mark is out today.
Best regards, {James}""",
    ],
    "nl": [
        """Geachte mevr. {van der Berg},
uw nieuwe adres <Kalverstraat 92, 1012 PH Amsterdam> is verwerkt. Dhr. {de Vries} belt u morgen.
Met vriendelijke groet,
{Sanne Jansen}""",
        """Naam: {Pieter van Dijk}, woonachtig <Prinsengracht 263, 1016 GV Amsterdam>.""",
    ],
    "fr": [
        """Bonjour {Marie},
M. {Dupont} habite <12 rue de la Paix, 75002 Paris>. Mme {Lefèvre} vous contactera.
Cordialement,
{Julien Moreau}""",
        """Nom: {Camille Bernard}, adresse <8 avenue Victor Hugo, 69002 Lyon>.""",
    ],
    "fi": [
        """Hyvä {Matti Virtanen},
osoitteenne <Mannerheimintie 5 A, 00100 Helsinki> on päivitetty. {Liisa Korhonen} soittaa teille.
Ystävällisin terveisin
{Juha Mäkinen}""",
        """Potilas: {Aino Laine}, <Hämeenkatu 14, 33100 Tampere>.""",
    ],
}

NEGATIVES: List[str] = [
    # product descriptions
    "The Rose Garden lamp comes in May Green and Grant Grey. Will it fit your desk? Mark the box before shipping.",
    "Vores nye sofa fås i grå og blå. Hans kone elskede den, og han er glad for at kunne købe den på tilbud.",
    "Die neue Kaffeemaschine von Hansa brüht in zwei Minuten. Frank und frei: der Preis ist fair.",
    "Denna stol är tillverkad i ek och björk. Per styck kostar den 499 kronor.",
    # code
    "def send(self, user):\n    return self.client.post('/api/v1/users', json={'name': user.name, 'city': 'Berlin'})",
    "SELECT name, street FROM customers WHERE country = 'DK' ORDER BY created_at DESC LIMIT 10;",
    "Run `pip install -e .[dev]` and then `pytest -q`. See README for Python 3.12 support.",
    # news-like, without people
    "Storms hit the North Sea coast on Monday; trains between Hamburg and Copenhagen were cancelled.",
    "Regeringen fremlagde i dag et nyt forslag om grøn omstilling. Forslaget skal behandles i Folketinget.",
    "Le gouvernement a présenté un nouveau budget. La Bourse de Paris a terminé en hausse de 2 %.",
    "De gemeente Amsterdam opent volgende week een nieuw station aan de Noord-Zuidlijn.",
    "Helsingin kaupunki avaa uuden kirjaston ensi vuonna. Kirjasto sijaitsee keskustassa.",
    "Norges Bank holdt renten uendret torsdag. Kronekursen styrket seg litt mot euro.",
    # sentences with words that are also names
    "I will be frank with you: we may grant access in June, and the rose bushes will bloom.",
    "og hans kone var glad for at bo i Aarhus, fordi lykke er at have et godt hjem.",
    "Bo i Danmark er godt. Hans bil er ny. Glad kunde!",
    "Mark As Read, Grant Access and Will Retry are the three actions in the toolbar.",
    "Der Wolf und die Linde stehen im Roman von Ernst gemeinsam im Mittelpunkt.",
    "Version 3.2 adds 12 new endpoints and fixes 4 bugs in the Street View integration.",
]
