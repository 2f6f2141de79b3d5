"""A held-out labelled set for the name and address detector.

The texts were written from the documented behaviour only, before reading the
detector, the gazetteer or ``names_corpus.py``, so the scores on them are an
estimate rather than an upper bound.  All people and addresses are invented
(any resemblance to real persons is accidental).

The marker syntax is that of ``names_corpus.py``: ``{Anders Holm}`` marks a
name, ``<Nørregade 12, 1165 København K>`` an address, and its ``parse``
returns the plain text and the spans.  A name span holds the name only: a
title ("fru", "Dr.") and a genitive "s" / "'s" stay outside.

``NEGATIVES`` hold no person name and no postal address, per language.
"""

from __future__ import annotations

from typing import Dict, List

LABELLED: Dict[str, List[str]] = {
    "da": [
        # clinical note
        """Sygeplejenotat 14/2 kl. 07.30
Pt. {Birthe Kragh Mikkelsen} har sovet uroligt. Stuegang ved læge {Thorvald Ravnholt}, som
ordinerer væske. Datteren {Sanne} ringede i går og spurgte til morens tilstand; hun bor på
<Kirsebærhaven 7, 1. th., 4000 Roskilde>. {Mikkelsen}s søn kommer på besøg torsdag.""",
        # HR / CV
        """CV
Navn: {Rasmus Juul-Pedersen}
Adresse: <Vesterbrogade 112, 3. sal, 1620 København V>
Erfaring: 2018-2023 projektleder hos Danfoss Drives. Reference: afdelingsleder {Gitte Nørgaard Bach}.""",
        # customer support ticket
        """Sag #48213 - Forsinket pakke
Kunden, {jens erik holst}, skriver at pakken ikke er leveret til <Lærkevej 4, 5260 Odense S>.
{Holst} har ventet 9 dage. Jeg har lovet at {Camilla} fra lageret ringer tilbage i morgen.
Mvh. {Ditte Østergaard}, Kundeservice""",
        # meeting minutes
        """Referat af bestyrelsesmøde i Grundejerforeningen Solbakken
Til stede: {Poul Erik Dalsgaard} (formand), {Annette Friis}, {Kasper Bundgaard} og {Lone Vestergaard}.
Afbud: {Henrik}.
1. Vejen ved <Solbakken 23, 8600 Silkeborg> skal asfalteres. {Friis} indhenter tilbud.""",
        # chat
        """hej {Mads}! kan du hente {Freja} i børnehaven i dag? jeg sidder fast i et møde med {Søren Kjærgaard}
til kl 17. hun skal have gummistøvler med hjem. kh {Line}""",
    ],
    "sv": [
        # clinical note
        """Journalanteckning, vårdcentralen Norrmalm
Patienten {Agneta Lindqvist}, 67 år, söker för yrsel. Make {Bengt-Åke Lindqvist} följer med.
Bedömning av dr {Elsa Fagerström}: sannolikt ortostatism. Återbesök hos distriktssköterska {Maja}
om två veckor. Adress enligt folkbokföringen: <Odengatan 48, 113 51 Stockholm>.""",
        # CV
        """Meritförteckning
Namn: {Johan Eriksson Ek}
Bostad: <Storgatan 9 B, 852 30 Sundsvall>
Referenser: {Karin Sjöberg}, rektor; {Ulf Håkansson}, platschef på Bygg AB.""",
        # support ticket
        """Ärende 2024-0571
Hej {Lars}! Vi har tagit emot din reklamation gällande diskmaskinen. Teknikern {Peder Nyström} kommer
till <Björkvägen 3, 761 31 Norrtälje> på tisdag mellan 8 och 12.
Med vänlig hälsning
{Sofia Bergqvist}, Kundtjänst""",
        # meeting minutes
        """Protokoll fört vid styrelsemöte i BRF Måsen
Närvarande: {Ingrid Wallin}, {Tomas Holmberg}, {Emma-Lotta Sundin}.
§3 Ordföranden {Wallin} redogjorde för stambytet. {Holmberg} fick i uppdrag att kontakta
fastighetsskötaren {Rolf}.""",
        # chat
        """tjena {Oskar}! såg du att {Linnea} och {Viktor} flyttat till <Tallstigen 14, 871 40 Härnösand>? {linnea}s nya jobb
börjar i maj.""",
    ],
    "no": [
        # clinical note
        """Epikrise
Pasient: {Kari Sæther Bakken}, innlagt med lungebetennelse. Behandlende lege: overlege {Øystein Moe}.
Pasienten bor alene i <Thereses gate 22, 0358 Oslo>. Nevø {Håvard} er kontaktperson.
{Bakken} utskrives til korttidsplass.""",
        # CV
        """CV - {Sigrid Haugland Strand}
Adresse: <Kongens gate 5, 7011 Trondheim>
Utdanning: Master i økonomi, NTNU. Referanse: {Arne Dahl}, daglig leder i Fjordkraft Service AS.""",
        # support ticket
        """Henvendelse fra {Terje Solberg} om strømbrudd i <Eikelundveien 19, 5093 Bergen>.
{Solberg} opplyser at naboen, fru {Nilsen}, også er uten strøm. Saksbehandler: {Ingvild}.""",
        # letter
        """Oslo, 3. april
Kjære {Marit},
takk for brevet! {Eirik} og jeg har nå flyttet til <Storgata 41, 9008 Tromsø>. Hils {Gunnar} og barna.
Vennlig hilsen
{Torunn Lie}""",
        # chat / minutes
        """Møtereferat prosjektgruppe
Til stede: {Bjørn-Inge Halvorsen}, {Silje Aas}, {Magnus}.
{Silje} tar kontakt med leverandøren. Neste møte hos {Halvorsen}.""",
    ],
    "de": [
        # letter
        """Sehr geehrte Frau Dr. {Hannelore Brückner-Weiß},
wir bestätigen den Eingang Ihres Widerspruchs vom 12. Mai. Ihr Ansprechpartner ist Herr {Joachim Vogler}.
Mit freundlichen Grüßen
{Friederike von Ahlen}
Versicherungsbüro Nord, <Lindenallee 17, 20259 Hamburg>""",
        # clinical note
        """Arztbrief
Patient: {Karl-Heinz Oberländer}, geb. 1951, wohnhaft <Am Mühlbach 4, 83022 Rosenheim>.
Der Patient wurde von Oberarzt Dr. {Wenzel} untersucht. Seine Tochter {Anja} wurde informiert.
{Oberländer}s Blutdruck war bei Aufnahme erhöht.""",
        # HR
        """Bewerbung als Lagerist
Name: {Dennis Grabowski}
Anschrift: <Bahnhofstraße 8a, 45127 Essen>
Herr {Grabowski} hat von 2019 bis 2023 bei der Spedition Hansen & Söhne gearbeitet. Referenz: {Petra Kowalczyk}.""",
        # support ticket
        """Ticket 77120: Router defekt
Kunde {Uwe Schimmelpfennig} meldet, dass der Router seit Montag blinkt. Zustelladresse:
<Goethestraße 33, 04109 Leipzig>. Rückruf durch {Sabine} aus dem 2nd Level vereinbart.""",
        # minutes
        """Protokoll der Teamsitzung
Anwesend: {Jürgen Maaß}, {Lena Schuster}, {Tobias}.
{Maaß} berichtet über die Umstellung. {Lena} übernimmt das Testen, Frau {Schuster} schickt die Zahlen.""",
    ],
    "en": [
        # support ticket
        """Ticket #9921 - Refund request
Customer {Gareth Pryce-Llewellyn} says the blender arrived broken at <14 Orchard Close, Bristol BS9 4LT>.
I've asked {Gareth} for a photo. Escalated to {Priya Raman} in returns.
Regards,
{Tom Ashdown}""",
        # clinical note
        """Clinic note
Pt: {Doreen Whitlock}, 78. Seen with her son {Martin}. Dr {Okafor} reviewed the bloods.
{Doreen}'s daughter lives at <22 Mill Lane, Harrogate HG1 5DE>.""",
        # CV
        """Curriculum Vitae
{Sarah-Jane McAllister}
<7 Victoria Road, Glasgow G42 7AD>
Referees: Prof. {Alan Birtwistle}, University of Leeds; {Helen Carver}, Head of HR, Northwind Ltd.""",
        # meeting minutes
        """Minutes - Parish council
Present: Cllr {Robert Fenwick} (chair), {Margaret O'Sullivan}, {Kevin Dunmore}.
{Fenwick} noted the complaint about potholes on <3 Station Road, Little Hadham SG11 2AA>. {Kevin} will write to the county.""",
        # chat
        """hey {jess}, {ollie} says the party's at {dan}'s place - <45 Hawthorn Avenue, Leeds LS6 2QR>. bring {amira} if she's free""",
    ],
    "nl": [
        # support ticket
        """Klacht 3321
Mevrouw {Annelies van der Berg-Smit} meldt dat haar wasmachine niet is geleverd op <Prinsengracht 263, 1016 GV Amsterdam>.
Collega {Sander} belt haar morgen. Met vriendelijke groet, {Joost de Wit}""",
        # clinical note
        """Verpleegkundige rapportage
Patiënt: {Gerrit Jan Hoekstra}. Dhr. {Hoekstra} at goed. Dochter {Wilma} komt vanmiddag.
Arts Dr. {Fenna Bakker} past medicatie aan.""",
        # CV
        """Curriculum vitae
Naam: {Thijs van 't Hek}
Adres: <Dorpsstraat 12, 3451 BC Utrecht>
Referentie: {Marloes Verhoeven}, teamleider bij Rabobank.""",
        # minutes
        """Notulen ALV
Aanwezig: {Pieter-Jan Mulder}, {Esther Kuipers}, {Bram}.
{Mulder} opent de vergadering. {Esther} doet verslag van de kascommissie.""",
        # chat
        """hoi {lotte}! ben je al bij {ruud}? ik sta nog bij de bakker op de <Kerkstraat 5, 5611 GH Eindhoven>. groetjes {Noor}""",
    ],
    "fr": [
        # letter
        """Madame {Élodie Marchand-Ferrand},
nous accusons réception de votre dossier. Votre conseiller, M. {Olivier Dufresne}, vous contactera.
Veuillez agréer nos salutations distinguées.
{Camille Roussel}
<8 rue des Tanneurs, 67000 Strasbourg>""",
        # clinical note
        """Compte rendu d'hospitalisation
Patient : {Jean-Baptiste Lefèvre}, 54 ans. Vu par le Dr {Mathilde Garnier}. Son épouse {Sylvie} a été prévenue.
Domicile : <14 avenue Jean Jaurès, 69007 Lyon>. {Lefèvre} sortira vendredi.""",
        # CV
        """CV
Nom : {Nadia Benali}
Adresse : <27 boulevard Carnot, 06000 Nice>
Références : {Philippe de La Tour}, directeur technique chez Alstom.""",
        # support ticket
        """Ticket 5512 - colis perdu
Le client {Bruno Vasseur} n'a pas reçu sa commande. {Vasseur} demande un remboursement.
Transmis à {Aurélie} au service logistique.""",
        # chat
        """salut {margaux} ! tu viens chez {théo} ce soir ? {Inès} apporte le dessert. bisous, {Léa}""",
    ],
    "fi": [
        # clinical note
        """Hoitokertomus
Potilas: {Aino Hämäläinen}, 72 v. Lääkäri {Markku Laaksonen} tarkasti potilaan. Tytär {Riikka} soitti iltapäivällä.
Osoite: <Hämeenkatu 14 B 22, 33100 Tampere>. {Hämäläinen} kotiutuu maanantaina.""",
        # CV
        """Ansioluettelo
Nimi: {Juha-Pekka Nieminen}
Osoite: <Mannerheimintie 40 A 5, 00100 Helsinki>
Suosittelija: {Tiina Koskinen}, henkilöstöpäällikkö.""",
        # support ticket
        """Tiketti 8812
Asiakas {Mikko Virtanen} ilmoittaa, että lasku on väärin. {Virtanen} pyytää soittoa.
Käsittelijä: {Hanna}""",
        # minutes
        """Pöytäkirja, hallituksen kokous
Läsnä: {Pirjo Salminen} (pj), {Jari Heikkinen}, {Sanna-Maria Lehto}.
{Salminen} avasi kokouksen. {Jari} esitteli budjetin.""",
        # chat / signature
        """moi {ville}! nähdäänkö {annan} luona? hän asuu nyt osoitteessa <Puistokatu 3, 20100 Turku>.
Terveisin
{Eero Lindholm}""",
    ],
}


NEGATIVES: Dict[str, List[str]] = {
    "da": [
        "Hans bil holder i garagen, og hans kone kører med bussen.",
        "Bo i Aarhus og arbejd i København - det er blevet almindeligt.",
        "Vores nye kaffemaskine brygger 12 kopper på under fem minutter. Fås i sort og rød.",
        "Lykke og glæde ønskes alle til jul. Glædelig jul fra hele afdelingen!",
        "Storm over Vestjylland: Banedanmark aflyser togene mellem Esbjerg og Struer i aften.",
        "Sæt flueben i feltet, tryk Gem og luk vinduet.",
        "Prisen på rugbrød steg 8 procent i januar ifølge Danmarks Statistik.",
        "Mødet flyttes til lokale 2.14 på grund af renovering.",
        "Rose vin serveres kold. Vi har også en dansk cider fra Fyn.",
        "Kan du sende fakturaen til bogholderiet inden fredag?",
    ],
    "sv": [
        "Ek och björk växer bra i den här jorden.",
        "Vi levererar möbler till hela Norrland, fri frakt över 2000 kr.",
        "SMHI varnar för kraftig snö i Jämtland under natten.",
        "Klicka på Spara och stäng fönstret när du är klar.",
        "Glad påsk från oss alla på kontoret!",
        "Sommarens bästa jordgubbar kommer från Skåne.",
        "Tåget mot Göteborg är försenat på grund av signalfel.",
        "Priset på el steg kraftigt i december.",
        "Bo i stan eller på landet? Vi hjälper dig att välja.",
        "Uppdatera appen för att få de senaste funktionerna.",
    ],
    "no": [
        "Hans sykkel står i kjelleren.",
        "Nå er det vinter i Tromsø, og mørketiden har begynt.",
        "Kjøp to og få den tredje gratis - gjelder alle vinterjakker.",
        "Trykk Lagre før du lukker vinduet.",
        "Statens vegvesen stenger fjellovergangen på grunn av uvær.",
        "Vi har åpent alle hverdager fra 9 til 17.",
        "Regjeringen la fram statsbudsjettet i dag.",
        "Strømprisen i Sør-Norge er rekordhøy denne uken.",
        "Bestillingen din er sendt og kommer innen tre dager.",
        "God jul og godt nytt år fra alle oss!",
    ],
    "de": [
        "Das neue Fahrrad hat eine Nabenschaltung mit acht Gängen und wiegt 14 Kilo.",
        "Frank und frei sagte er seine Meinung.",
        "Die Deutsche Bahn meldet Verspätungen auf der Strecke Köln-Frankfurt.",
        "Klicken Sie auf Speichern und schließen Sie das Fenster.",
        "Im Mai blühen die Rosen im Stadtpark besonders schön.",
        "Der Bundestag hat das Gesetz in zweiter Lesung beschlossen.",
        "Bitte geben Sie die Bestellnummer 4711-0815 bei Rückfragen an.",
        "Die Heizung im Konferenzraum ist defekt.",
        "Paris und Berlin verhandeln über neue Zölle.",
        "Unsere Öffnungszeiten: Montag bis Freitag 8 bis 18 Uhr.",
    ],
    "en": [
        "I will be frank with you: the release is late.",
        "Mark the box and grant access to the shared drive.",
        "May I ask whether the Jordan valley tour runs in May?",
        "Hotel package in Paris: two nights, breakfast included.",
        "Rose gold finish, 128 GB storage, free delivery.",
        "def get_user(id):\n    return db.query(User).filter(User.id == id).first()",
        "Heavy rain is expected across the north of England tonight.",
        "Click Save and close the window.",
        "The Bank of England held interest rates at 5.25 percent.",
        "Will the grant cover travel costs? Frank answers are welcome.",
    ],
    "nl": [
        "De nieuwe fiets heeft een versnellingsnaaf met zeven standen.",
        "Het KNMI waarschuwt voor gladheid in het noorden.",
        "Klik op Opslaan en sluit het venster.",
        "De trein naar Utrecht heeft vertraging door een storing.",
        "Prijzen zijn inclusief btw en verzendkosten.",
        "Koning Willem-Alexanderplein is afgesloten wegens werkzaamheden.",
        "Bestel voor 22.00 uur, morgen in huis.",
        "De gemeenteraad stemde in met het nieuwe bestemmingsplan.",
        "Tulpen en rozen zijn deze week in de aanbieding.",
        "Vergeet niet je wachtwoord te wijzigen.",
    ],
    "fr": [
        "Ce pantalon en lin existe en bleu et en beige, tailles 36 à 46.",
        "Météo-France place dix départements en vigilance orange.",
        "Cliquez sur Enregistrer puis fermez la fenêtre.",
        "Paris et Lyon accueilleront les épreuves de football.",
        "Le train pour Marseille est retardé en raison d'un incident.",
        "Livraison gratuite dès 50 euros d'achat.",
        "L'Assemblée nationale a adopté le budget.",
        "Une rose rouge pour la Saint-Valentin !",
        "Veuillez indiquer votre numéro de commande.",
        "Le musée est fermé le mardi.",
    ],
    "fi": [
        "Uusi pyörä painaa 12 kiloa ja siinä on seitsemän vaihdetta.",
        "Ilmatieteen laitos varoittaa liukkaista teistä.",
        "Paina Tallenna ja sulje ikkuna.",
        "Juna Tampereelle on myöhässä.",
        "Toimitus on ilmainen yli 50 euron tilauksille.",
        "Eduskunta hyväksyi lain tänään.",
        "Kahvila on auki arkisin kahdeksasta neljään.",
        "Muista vaihtaa salasanasi.",
        "Sähkön hinta nousi joulukuussa.",
        "Hyvää joulua ja onnellista uutta vuotta!",
    ],
}
