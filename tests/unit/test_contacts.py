"""Contact addresses checked by libphonenumber and email-validator, not by regex."""

from __future__ import annotations

import pytest

from dunning_core import Account, Contact, PostalAddress
from dunning_core.errors import InvalidContact, InvalidField


def test_a_french_mobile_as_erps_export_it_is_read_in_the_accounts_country() -> None:
    account = Account(
        id="A-1",
        name="ACME",
        currency="EUR",
        country="FR",
        contacts=[Contact(mobile="06 12 34 56 78")],
    )
    assert account.contacts[0].mobile == "+33612345678"


def test_international_forms_are_stored_in_e164() -> None:
    assert Contact(mobile="+33 6 12 34 56 78").mobile == "+33612345678"
    assert Contact(mobile="0033 6 12 34 56 78", country="FR").mobile == "+33612345678"
    assert Contact(phone="+33 1 23 45 67 89").phone == "+33123456789"


def test_a_paris_landline_is_not_a_mobile_for_sms() -> None:
    with pytest.raises(InvalidContact, match="fixed line, not a mobile") as raised:
        Contact(mobile="+33 1 23 45 67 89")
    assert raised.value.field == "Contact.mobile"
    assert Contact(phone="+33 1 23 45 67 89").phone == "+33123456789"  # fine for a call


def test_new_caledonia_numbers_have_six_digits() -> None:
    account = Account(
        id="A-1",
        name="Lagon",
        currency="XPF",
        country="NC",
        contacts=[Contact(mobile="75.12.34")],
    )
    assert account.contacts[0].mobile == "+687751234"
    with pytest.raises(InvalidContact, match="too long"):
        Contact(mobile="751 2345", country="NC")
    with pytest.raises(InvalidContact, match="too short"):
        Contact(mobile="+687 7512")


def test_the_postal_address_country_reads_national_numbers() -> None:
    address = PostalAddress(
        recipient="X", lines=("1 rue",), postal_code="98800", city="Nouméa", country="NC"
    )
    assert Contact(mobile="75 12 34", postal_address=address).mobile == "+687751234"


def test_the_locale_territory_stands_in_for_a_missing_country() -> None:
    account = Account(
        id="A-1",
        name="ACME",
        currency="EUR",
        locale="fr_FR",
        contacts=[Contact(mobile="0612345678")],
    )
    assert account.home_country == "FR" and account.contacts[0].mobile == "+33612345678"


def test_a_national_number_nobody_can_read_is_refused_with_its_place() -> None:
    with pytest.raises(InvalidContact) as raised:
        Account(
            id="A-1",
            name="ACME",
            currency="EUR",
            locale="en_US",
            contacts=[Contact(email="a@acme.example"), Contact(mobile="06 12 34 56 78")],
        )
    assert raised.value.field == "Account.contacts[1].mobile"
    assert "territory of en_US" in raised.value.problem


@pytest.mark.parametrize(
    ("mobile", "country", "problem"),
    [
        ("0612", "FR", "too short"),
        ("not a number", "FR", "not a phone number"),
        ("+999 1234567", None, "unknown country calling code|not a"),
        ("06 12 34 56 78 90 12", "FR", "too long"),
    ],
)
def test_bad_numbers_are_refused_by_name(mobile: str, country: str | None, problem: str) -> None:
    with pytest.raises(InvalidContact, match=problem) as raised:
        Contact(mobile=mobile, country=country)
    assert raised.value.field == "Contact.mobile" and raised.value.value == mobile


def test_email_syntax_is_checked_idn_included_and_nothing_looked_up() -> None:
    assert Contact(email="compta@société.fr").email == "compta@société.fr"
    assert Contact(email="Billing@ACME.Example").email == "Billing@acme.example"
    assert Contact(email="josé@acme.example").email == "josé@acme.example"
    # A domain that does not exist is fine: no DNS look-up happens.
    assert Contact(email="ap@no-such-domain-4f1c9.example").email is not None
    for bad in ("a@b@c", "jean", "jean@", "@acme.example", "a b@acme.example", "a@localhost"):
        with pytest.raises(InvalidContact) as raised:
            Contact(email=bad)
        assert raised.value.field == "Contact.email" and raised.value.value == bad


def test_account_country_and_subdivision_are_checked() -> None:
    with pytest.raises(InvalidField, match="Account.country"):
        Account(id="A", name="A", currency="EUR", country="France")
    with pytest.raises(InvalidField, match="Account.subdivision"):
        Account(id="A", name="A", currency="EUR", subdivision="bavaria")
    with pytest.raises(InvalidField, match="Contact.country"):
        Contact(country="fr")
