"""What synthetic stores are built from: products, names, places, and how channels spell.

The catalogue is the same for every seed, so a SKU means the same product in every demo
store; customers, orders and stock vary with the seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    price: Decimal
    cycle_days: int | None
    # Earlier products in a category sell more: the lists below start with the bestsellers.
    popularity: float
    wholesale: bool


def _money(value: float) -> Decimal:
    # Shelf prices end in 9 cents, as shops price them.
    cents = int(round(value * 100)) // 10 * 10 - 1
    return Decimal(cents).scaleb(-2)


def _line(
    prefix: str,
    category: str,
    items: list[tuple[str, float]],
    sizes: list[tuple[str, float, int | None]],
    *,
    wholesale: bool = False,
) -> Iterator[ProductSpec]:
    """One product per item and size: ``sizes`` are (suffix, price factor, cycle days)."""
    number = 0
    for rank, (item, base) in enumerate(items):
        for suffix, factor, cycle in sizes:
            number += 1
            yield ProductSpec(
                sku=f"{prefix}-{number:04d}",
                name=f"{item}{suffix}",
                category=category,
                price=_money(base * factor),
                cycle_days=cycle,
                popularity=1 / (rank + 2) ** 0.8,
                wholesale=wholesale,
            )


TEAS = [
    ("Assam Breakfast", 6.5), ("Earl Grey", 6.9), ("English Breakfast", 5.9),
    ("Darjeeling First Flush", 12.9), ("Sencha", 7.9), ("Peppermint", 4.5), ("Chai Masala", 6.9),
    ("Rooibos Vanilla", 5.5), ("Jasmine Pearls", 11.9), ("Chamomile", 4.9),
    ("Darjeeling Second Flush", 10.9), ("Earl Grey Cream", 7.5), ("Ceylon Uva", 6.9),
    ("Genmaicha", 6.5), ("Milky Oolong", 9.9), ("Gunpowder", 5.5), ("Lapsang Souchong", 7.9),
    ("Keemun", 8.5), ("Yunnan Gold", 11.5), ("Gyokuro", 16.9), ("Bancha", 5.9),
    ("Oolong Tie Guan Yin", 10.5), ("White Peony", 9.5), ("Silver Needle", 18.9),
    ("Rooibos Pure", 4.9), ("Fennel Anise Caraway", 4.5), ("Hibiscus Berry", 5.5),
    ("Lemongrass Ginger", 5.9), ("Pu-erh", 9.9), ("Matcha Ceremonial", 19.9),
]
COFFEES = [
    ("Espresso Classico", 9.9), ("Brazil Santos", 8.9), ("Colombia Supremo", 9.5),
    ("Ethiopia Yirgacheffe", 12.5), ("Espresso Forte", 9.9), ("Decaf Swiss Water", 10.9),
    ("Guatemala Antigua", 10.5), ("Kenya AA", 13.5), ("Costa Rica Tarrazu", 11.5),
    ("Sumatra Mandheling", 11.9), ("Ethiopia Sidamo", 11.9), ("Peru Organic", 9.9),
    ("Honduras Marcala", 9.5), ("Nicaragua Jinotega", 9.9), ("India Monsooned Malabar", 11.5),
]
SHAMPOOS = [
    ("Mild Daily", 4.9), ("Anti-Dandruff", 6.5), ("Repair", 6.9), ("Volume", 5.9),
    ("Colour Protect", 6.9), ("Sensitive Scalp", 7.5), ("Curl Care", 7.9), ("Men Sport", 5.5),
    ("Kids Tear-Free", 4.9), ("Rosemary Strength", 8.5), ("Nettle Balance", 6.5),
    ("Oat Milk Gentle", 5.9),
]
TOOTHPASTES = [
    ("Fresh Mint", 2.9), ("Sensitive", 4.5), ("Whitening", 4.9), ("Herbal", 3.5),
    ("Kids Strawberry", 2.9), ("Gum Care", 4.5), ("Fluoride-Free", 3.9), ("Charcoal", 4.9),
    ("Enamel Repair", 5.5), ("Myrrh and Sage", 3.9),
]
TOOTHBRUSHES = [
    ("Bamboo Toothbrush, medium", 3.5), ("Bamboo Toothbrush, soft", 3.5),
    ("Kids Toothbrush", 2.5), ("Electric Brush Heads, 4 pack", 14.9),
    ("Sensitive Toothbrush, extra soft", 3.9), ("Interdental Brushes, 10 pack", 4.9),
    ("Travel Toothbrush", 2.9), ("Tongue Cleaner", 4.5),
]
DOG_FOOD = [
    ("Chicken", 18.9), ("Lamb and Rice", 19.9), ("Salmon", 21.9), ("Grain-Free Duck", 24.9),
    ("Senior", 20.9), ("Puppy", 21.5),
]
CAT_FOOD = [
    ("Chicken", 11.9), ("Salmon", 12.9), ("Indoor", 12.5), ("Sterilised", 13.5), ("Kitten", 13.9),
]
PET_EXTRAS = [
    ("Cat Wet Food Poultry Selection, 12 x 85 g", 8.9, 14),
    ("Cat Wet Food Fish Selection, 12 x 85 g", 9.5, 14),
    ("Cat Wet Food Kitten, 12 x 85 g", 9.9, 14),
    ("Dog Wet Food Beef, 6 x 400 g", 11.9, 10),
    ("Dog Wet Food Chicken, 6 x 400 g", 11.5, 10),
    ("Dog Dental Sticks, 28 pack", 9.9, 28),
    ("Dog Training Treats, 200 g", 4.9, 21),
    ("Cat Treats Salmon, 60 g", 2.9, 14),
    ("Cat Litter Clumping, 10 l", 8.5, 30),
    ("Cat Litter Wood Pellets, 15 l", 10.9, 35),
]
VITAMINS = [
    ("Vitamin D3 1000 IU", 8.9), ("Magnesium 300 mg", 9.9), ("Omega-3 Fish Oil", 14.9),
    ("Multivitamin Daily", 12.9), ("Vitamin C 500 mg", 7.9), ("Vitamin B12 1000 mcg", 9.5),
    ("Zinc 15 mg", 6.9), ("Vitamin D3 + K2", 13.9), ("Iron 14 mg", 7.5),
    ("Calcium + D3", 8.5), ("Biotin 5000 mcg", 10.9), ("Folic Acid 400 mcg", 5.9),
    ("Probiotic 10 Strains", 19.9), ("Algae Omega-3, vegan", 21.9),
]
KETTLES = [
    ("Glass Kettle 1.7 l", 39.9), ("Stainless Steel Kettle 1.5 l", 34.9),
    ("Gooseneck Pour-Over Kettle 0.9 l", 59.9), ("Variable Temperature Kettle 1.7 l", 79.9),
    ("Stovetop Whistling Kettle 2 l", 44.9), ("Travel Kettle 0.5 l", 24.9),
    ("Retro Kettle, cream", 69.9), ("Retro Kettle, pastel blue", 69.9),
    ("Cast Iron Tetsubin 0.8 l", 89.9), ("Copper Stovetop Kettle 1.2 l", 99.5),
]
MUGS = [
    ("Stoneware Mug, sand", 12.9), ("Stoneware Mug, slate", 12.9), ("Stoneware Mug, sage", 12.9),
    ("Stoneware Mug, rust", 12.9), ("Double-Wall Glass Mug 350 ml", 14.9),
    ("Double-Wall Glass Mug, set of 2", 24.9), ("Porcelain Mug, botanical", 11.5),
    ("Porcelain Mug, white", 8.9), ("Enamel Camping Mug", 9.9), ("Tea Mug with Infuser", 16.9),
    ("Espresso Cups, set of 4", 22.9), ("Cappuccino Cup and Saucer", 13.9),
    ("Latte Glass 300 ml, set of 2", 15.9), ("Thermo Mug 400 ml", 24.9),
    ("Travel Mug Bamboo 350 ml", 19.9), ("Japanese Yunomi Cup", 14.5),
    ("Matcha Bowl Chawan", 29.9), ("Jumbo Mug 500 ml", 14.9), ("Hotel Porcelain Mug 300 ml", 6.9),
    ("Hotel Cup and Saucer 200 ml", 7.9),
]
TEAPOTS = [
    ("Glass Teapot with Infuser 1 l", 29.9), ("Porcelain Teapot, white, 1.2 l", 34.9),
    ("Cast Iron Teapot Hobnail 0.9 l", 49.9), ("Kyusu Side-Handle Teapot 350 ml", 39.9),
    ("Brown Betty Teapot, 6 cups", 32.9), ("Stoneware Teapot, sage, 1 l", 44.9),
    ("Teapot Warmer", 19.9), ("Gaiwan 150 ml", 24.9), ("Double-Wall Glass Teapot 600 ml", 36.9),
    ("Tea Cosy, wool", 22.9), ("Tea for One Set", 27.9), ("Porcelain Tea Set, 6 cups", 89.9),
    ("Cold Brew Tea Bottle 750 ml", 19.9), ("Samovar Style Kettle Set", 129.0),
]
COFFEE_GEAR = [
    ("French Press 1 l", 29.9), ("Pour-Over Dripper, ceramic", 24.9), ("Hand Grinder, burr", 49.9),
    ("Electric Burr Grinder", 129.0), ("Milk Frother", 39.9), ("Coffee Scale with Timer", 34.9),
    ("Moka Pot, 6 cups", 32.9), ("Cold Brew Maker 1 l", 27.9), ("Glass Coffee Server 600 ml", 21.9),
    ("Espresso Tamper 58 mm", 24.9), ("Coffee Canister, airtight", 18.9),
    ("Knock Box", 19.9),
]
ACCESSORIES = [
    ("Tea Strainer, stainless", 6.9), ("Tea Infuser Ball", 4.9), ("Tea Caddy Tin 250 g", 9.9),
    ("Bamboo Matcha Whisk", 14.9), ("Tea Timer, hourglass", 8.9), ("Honey Dipper", 4.5),
    ("Tea Tray, walnut", 39.9), ("Loose Tea Scoop", 5.9), ("Cosy Tea Towel", 7.9),
    ("Tea Gift Box, empty", 12.9),
]
CONSUMABLE_EXTRAS = [
    ("Paper Coffee Filters, size 4, 100 pack", "FIL", "Coffee filters", 3.9, 50),
    ("Paper Coffee Filters, V60, 100 pack", "FIL", "Coffee filters", 5.9, 50),
    ("Unbleached Tea Filters, 100 pack", "FIL", "Coffee filters", 3.5, 60),
    ("Descaler for Kettles, 3 doses", "DES", "Descaler", 6.9, 90),
    ("Descaler for Espresso Machines, 500 ml", "DES", "Descaler", 9.9, 90),
    ("Cane Sugar Cubes, 500 g", "SUG", "Sweeteners", 2.9, 45),
    ("Organic Acacia Honey, 500 g", "SUG", "Sweeteners", 7.9, 45),
    ("Brown Rock Sugar, 500 g", "SUG", "Sweeteners", 3.5, 60),
    ("Olive Oil Soap Bar", "SOA", "Soap", 3.9, 35),
    ("Lavender Soap Bar", "SOA", "Soap", 4.5, 35),
    ("Liquid Hand Soap Refill, 1 l", "SOA", "Soap", 6.9, 60),
]


def build_catalog() -> list[ProductSpec]:
    """About three hundred products in sixteen categories, bestsellers first."""
    products: list[ProductSpec] = []
    products += _line(
        "TEA", "Tea", [(f"{t} Tea", p) for t, p in TEAS],
        [(", loose, 100 g", 1.0, 30), (", loose, 250 g", 2.2, 75)], wholesale=True,
    )
    products += _line(
        "COF", "Coffee", [(f"{c} Coffee", p) for c, p in COFFEES],
        [(", whole bean, 500 g", 1.0, 21), (", ground, 250 g", 0.6, 11),
         (", whole bean, 1 kg", 1.85, 42)], wholesale=True,
    )
    products += _line(
        "SHA", "Shampoo", [(f"{s} Shampoo", p) for s, p in SHAMPOOS],
        [(", 250 ml", 1.0, 45), (", refill 1 l", 3.0, 150)],
    )
    products += _line(
        "TOO", "Toothpaste", [(f"{t} Toothpaste", p) for t, p in TOOTHPASTES],
        [(", 75 ml", 1.0, 40), (", 3 x 75 ml", 2.7, 120)],
    )
    products += _line("BRU", "Toothbrushes", TOOTHBRUSHES, [("", 1.0, 90)])
    products += _line(
        "PET", "Pet food", [(f"Dog Dry Food {d}", p) for d, p in DOG_FOOD],
        [(", 4 kg", 1.0, 28), (", 12 kg", 2.6, 84)], wholesale=True,
    )
    products += _line(
        "CAT", "Pet food", [(f"Cat Dry Food {c}", p) for c, p in CAT_FOOD],
        [(", 2 kg", 1.0, 28), (", 7 kg", 3.0, 98)], wholesale=True,
    )
    for number, (name, price, cycle) in enumerate(PET_EXTRAS, start=1):
        products.append(
            ProductSpec(
                f"PTX-{number:04d}", name, "Pet food", _money(price), cycle,
                1 / (number + 1) ** 0.8, wholesale=True,
            )
        )
    products += _line(
        "VIT", "Vitamins", VITAMINS, [(", 60 capsules", 1.0, 60), (", 120 capsules", 1.8, 120)]
    )
    products += _line("KET", "Kettles", KETTLES, [("", 1.0, None)])
    products += _line("MUG", "Mugs", MUGS, [("", 1.0, None)], wholesale=True)
    products += _line("POT", "Teapots", TEAPOTS, [("", 1.0, None)])
    products += _line("GEA", "Coffee gear", COFFEE_GEAR, [("", 1.0, None)])
    products += _line("ACC", "Tea accessories", ACCESSORIES, [("", 1.0, None)])
    numbers: dict[str, int] = {}
    for name, prefix, category, price, cycle in CONSUMABLE_EXTRAS:
        numbers[prefix] = numbers.get(prefix, 0) + 1
        products.append(
            ProductSpec(
                f"{prefix}-{numbers[prefix]:04d}", name, category, _money(price), cycle,
                1 / (numbers[prefix] + 1) ** 0.8, wholesale=prefix in ("FIL", "SUG"),
            )
        )
    return products


def image_url(sku: str) -> str:
    return f"https://cdn.example.com/p/{sku}.jpg"


FIRST_NAMES = [
    "Anna", "Lena", "Mia", "Emma", "Hannah", "Sophie", "Laura", "Julia", "Lea", "Marie",
    "Sarah", "Katharina", "Johanna", "Clara", "Charlotte", "Greta", "Jana", "Nina", "Paula",
    "Zoë", "Ayşe", "Elif", "Olga", "Agnieszka", "Fatma", "Chloé", "Ingrid", "Sabine", "Ute",
    "Petra", "Monika", "Birgit", "Andrea", "Claudia", "Renate", "Gülay", "Marta", "Ines",
    "Lukas", "Leon", "Jonas", "Finn", "Paul", "Felix", "Maximilian", "Elias", "Noah", "Ben",
    "Jan", "Tim", "Niklas", "Tobias", "Moritz", "Jürgen", "Klaus", "Uwe", "Stefan", "Thomas",
    "Michael", "Andreas", "Markus", "Frank", "Peter", "Wolfgang", "Björn", "Sören", "Mehmet",
    "Emre", "Piotr", "Marek", "Luca", "Matteo", "Dimitri", "Ole", "Hauke", "René", "José",
    "Omar", "Karim", "Yusuf", "Daniel", "David", "Simon", "Florian", "Sebastian",
]
LAST_NAMES = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
    "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
    "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze",
    "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs",
    "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich",
    "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann",
    "Franke", "Albrecht", "Yılmaz", "Kaya", "Demir", "Şahin", "Nowak", "Kowalski",
    "Wiśniewski", "Rossi", "Ferrari", "Petrov", "Ivanova", "Nguyen", "Dubois", "García",
    "Jensen", "O'Brien", "van der Berg", "de Vries", "Öztürk", "Popescu", "Horvat",
]
COMPANY_FORMS = [
    "Café {last}", "{last} Kaffeerösterei", "Hotel {last}hof", "Bäckerei {last}",
    "{last} & Partner Büroservice", "Teehaus {last}", "{last} Feinkost GmbH",
    "Zoohandlung {last}", "{last} Catering", "Praxis Dr. {last}", "{last} Gastro GmbH",
    "Bistro {last}", "{last} Bio-Markt", "Pension {last}", "{last} Coworking",
]
# Reserved for documentation (RFC 2606): seeded addresses can never reach a real inbox.
EMAIL_DOMAINS = [
    "example.com", "example.org", "example.net", "mail.example", "post.example",
    "web.example", "inbox.example",
]
MOBILE_PREFIXES = [
    "151", "152", "157", "159", "160", "162", "163", "170", "171", "172", "173", "174",
    "175", "176", "177", "178", "179",
]
CITIES = [
    ("Berlin", "10", 30), ("Hamburg", "20", 14), ("München", "80", 12), ("Köln", "50", 9),
    ("Frankfurt am Main", "60", 7), ("Stuttgart", "70", 6), ("Düsseldorf", "40", 6),
    ("Leipzig", "04", 5), ("Dortmund", "44", 5), ("Essen", "45", 5), ("Bremen", "28", 5),
    ("Dresden", "01", 5), ("Hannover", "30", 5), ("Nürnberg", "90", 5), ("Potsdam", "14", 4),
    ("Freiburg im Breisgau", "79", 3), ("Münster", "48", 3), ("Kiel", "24", 3),
    ("Rostock", "18", 2), ("Heidelberg", "69", 2),
]
STREETS = [
    "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße",
    "Bergstraße", "Birkenweg", "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße",
    "Schillerstraße", "Goethestraße", "Am Markt", "Mühlenweg", "Rosenstraße",
    "Friedrichstraße", "Kastanienallee", "Uferweg", "Parkstraße",
]
# How each channel tends to spell a German mobile number ({p} prefix, {s} subscriber,
# {a} and {b} its halves): shoppers type it, cashiers key it in, the wholesale desk copies it
# from a letterhead.
PHONE_STYLES = {
    "online": ["+49 {p} {s}", "+49{p}{s}", "0{p} {s}", "+49 {p} {a} {b}", "0{p}{s}"],
    "retail": ["0{p} {s}", "0{p}{s}", "0{p}/{s}", "0{p}-{s}"],
    "wholesale": ["0049 {p} {s}", "+49 (0){p} {s}", "(0{p}) {a} {b}", "0{p} {a} {b}"],
}
# The same for email addresses (see spell_email); repeated names are the common styles.
EMAIL_STYLES = {
    "online": ["lower", "title", "lower", "padded", "domain_upper", "title"],
    "retail": ["upper", "upper", "upper", "padded", "title"],
    "wholesale": ["title", "title", "domain_upper", "padded"],
}

_ASCII = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ë": "e", "ç": "c",
     "ş": "s", "ı": "i", "ğ": "g", "ł": "l", "ś": "s", "ń": "n", "ó": "o", "í": "i", "á": "a",
     " ": "", "'": "", "-": ""}
)


def email_address(rng: random.Random, number: int, first: str, last: str) -> str:
    """A plausible address for person ``number``, unique because the number ends it."""
    f, la = first.lower().translate(_ASCII), last.lower().translate(_ASCII)
    local = rng.choice((f"{f}.{la}", f"{f}{la}", f"{f[0]}.{la}", f"{f}_{la[0]}", f"{la}.{f}"))
    return f"{local}{number}@{rng.choice(EMAIL_DOMAINS)}"


def mobile_number(rng: random.Random, number: int) -> str:
    """A German mobile number (prefix and subscriber, no leading 0), unique per person."""
    # A bijection of the person's number modulo 10**8, so no two people share a subscriber.
    return rng.choice(MOBILE_PREFIXES) + f"{(number * 7_654_321 + 1_234_567) % 10**8:08d}"


def spell_email(rng: random.Random, email: str, channel: str) -> str:
    """``email`` as ``channel`` might have written it."""
    style = rng.choice(EMAIL_STYLES[channel])
    local, domain = email.split("@")
    if style == "title":
        return f"{local.title()}@{domain}"
    if style == "upper":
        return email.upper()
    if style == "domain_upper":
        return f"{local}@{domain.upper()}"
    if style == "padded":
        return f" {email}  "
    return email


def spell_phone(rng: random.Random, mobile: str, channel: str) -> str:
    """A ``mobile_number`` as ``channel`` might have written it."""
    prefix, subscriber = mobile[:3], mobile[3:]
    style = rng.choice(PHONE_STYLES[channel])
    return style.format(p=prefix, s=subscriber, a=subscriber[:4], b=subscriber[4:])
