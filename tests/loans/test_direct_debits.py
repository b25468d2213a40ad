"""SEPA direct debits: mandates (IBAN and BIC checked, one in force per advance, the same
rules through the web form and the API) and the pain.008 collection files (valid against
the schema sepaxml ships, each due instalment once, FRST then RCUR, idempotent, nothing
recorded as paid, scoped)."""

from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from alize.errors import ApplicationError
from alize.tenancy import scope
from loans import services
from loans.models import (
    DirectDebitCollection,
    DirectDebitLine,
    DirectDebitMandate,
    Fund,
    Instalment,
    JournalTransaction,
    LedgerLine,
    Repayment,
)
from loans.services import collections
from tests.api_base import APIReadTestBase, PersonalDataMixin, count_rows
from tests.conftest import api_client_for
from tests.loans.builders import TODAY, advance_at, make_fund, setup_scope
from tests.query_counts import assert_queries_do_not_grow
from tests.test_races import race

D = Decimal
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
GOOD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
GOOD_BIC = "BNPAFRPP"
CREDITOR_ID = "FR72ZZZ123456"
_keys = itertools.count(1)


def collecting_fund(dispositif, name="Fonds prélevé"):
    """A fund with money and a collection account."""
    fund = make_fund(dispositif, name=name, contributions=(D("500000.00"),))
    with setup_scope():
        return services.fund_set_collection_account(
            fund=fund,
            creditor_identifier=CREDITOR_ID,
            iban="FR1420041010050500013M02606",
            bic="PSSTFRPPLIL",
        )


def disbursed_with_mandate(fund, *, kind="recurrent", disbursed_on, **kwargs):
    """A disbursed advance (12 monthly instalments of 1 000 €) with a mandate in force."""
    advance = advance_at("disbursed", fund, disbursed_on=disbursed_on, **kwargs)
    with setup_scope():
        services.mandate_create(
            advance=advance,
            debtor_name="Atelier Dupont SARL",
            iban=GOOD_IBAN,
            bic=GOOD_BIC,
            signed_on=disbursed_on,
            kind=kind,
            by=None,
        )
    return advance


def generate(fund, on, by=None):
    with scope([fund.dispositif_id]):
        return services.collection_generate(fund=fund, collection_date=on, by=by)


def transactions(collection):
    root = ET.fromstring(collection.xml.encode())
    return root.findall(".//p:DrctDbtTxInf", NS)


def debits_of(collection) -> list[tuple[str, str, str]]:
    """(end-to-end id, sequence type, amount) of each debit of the file."""
    root = ET.fromstring(collection.xml.encode())
    rows = []
    for batch in root.findall(".//p:PmtInf", NS):
        sequence = batch.find(".//p:SeqTp", NS).text
        for tx in batch.findall("p:DrctDbtTxInf", NS):
            rows.append(
                (tx.find(".//p:EndToEndId", NS).text, sequence, tx.find("p:InstdAmt", NS).text)
            )
    return sorted(rows)


# Mandates -------------------------------------------------------------------------------


class TestMandateService:
    @pytest.mark.parametrize(
        ("field", "iban", "bic"),
        [
            ("iban", "FR76 3000 6000 0112 3456 7890 188", GOOD_BIC),  # check digits
            ("iban", "BR1800360305000010009795493C1", GOOD_BIC),  # outside SEPA
            ("bic", GOOD_IBAN, "BNPA"),
        ],
    )
    def test_bad_account_names_the_field_and_saves_nothing(self, world, field, iban, bic):
        advance = advance_at("approved", make_fund(world.a))
        with setup_scope(), pytest.raises(ValidationError) as refused:
            services.mandate_create(
                advance=advance,
                debtor_name="Atelier Dupont",
                iban=iban,
                bic=bic,
                signed_on=TODAY,
                by=None,
            )
        assert set(refused.value.message_dict) == {field}
        assert count_rows(DirectDebitMandate) == 0

    def test_reference_numbers_and_one_in_force(self, world):
        advance = advance_at("approved", make_fund(world.a))
        with setup_scope():
            first = services.mandate_create(
                advance=advance,
                debtor_name="  Atelier   Dupont ",
                iban=GOOD_IBAN.lower(),
                bic=GOOD_BIC,
                signed_on=TODAY,
                by=None,
            )
            assert first.reference == f"ALZ-{advance.pk}-1"
            assert first.iban == "FR7630006000011234567890189"
            assert first.debtor_name == "Atelier Dupont"
            with pytest.raises(ApplicationError) as twice:
                services.mandate_create(
                    advance=advance,
                    debtor_name="Autre",
                    iban=GOOD_IBAN,
                    bic=GOOD_BIC,
                    signed_on=TODAY,
                    by=None,
                )
            assert twice.value.field == "advance"
            services.mandate_revoke(mandate=first, reason="Changement de banque de la PME", by=None)
            second = services.mandate_create(
                advance=advance,
                debtor_name="Atelier Dupont",
                iban="DE89370400440532013000",
                bic="COBADEFFXXX",
                signed_on=TODAY,
                kind="one_off",
                by=None,
            )
        assert second.reference == f"ALZ-{advance.pk}-2"
        first.refresh_from_db()
        assert (first.revoked_on, first.in_force, second.in_force) == (TODAY, False, True)

    def test_future_signature_and_short_reason_are_refused(self, world):
        advance = advance_at("approved", make_fund(world.a))
        with setup_scope():
            with pytest.raises(ApplicationError) as future:
                services.mandate_create(
                    advance=advance,
                    debtor_name="Atelier",
                    iban=GOOD_IBAN,
                    bic=GOOD_BIC,
                    signed_on=TODAY + dt.timedelta(days=1),
                    by=None,
                )
            assert future.value.field == "signed_on"
            mandate = services.mandate_create(
                advance=advance,
                debtor_name="Atelier",
                iban=GOOD_IBAN,
                bic=GOOD_BIC,
                signed_on=TODAY,
                by=None,
            )
            with pytest.raises(ApplicationError) as short:
                services.mandate_revoke(mandate=mandate, reason="non", by=None)
            assert short.value.field == "reason"
        assert count_rows(DirectDebitMandate, revoked_on__isnull=True) == 1


# Collections ----------------------------------------------------------------------------


class TestCollectionFile:
    def test_file_validates_and_lists_each_due_instalment_once(self, world):
        fund = collecting_fund(world.a)
        start = TODAY - dt.timedelta(days=95)  # three instalments due by today
        advance = disbursed_with_mandate(fund, disbursed_on=start)
        other = disbursed_with_mandate(fund, disbursed_on=start, amount=D("10000.00"))
        advance_at("disbursed", fund, disbursed_on=start)  # no mandate: not debited
        with setup_scope():
            due = list(
                Instalment.objects.filter(advance__in=[advance, other], due_on__lte=TODAY).order_by(
                    "due_on", "pk"
                )
            )
        assert len(due) == 6
        # A new mandate's first debit (FRST) travels alone: the oldest instalment of each.
        first, created = generate(fund, TODAY)
        assert created
        xmlschema.XMLSchema(XSD).validate(first.xml)
        oldest = [i for i in due if i.number == min(d.number for d in due)]
        assert sorted(e2e for e2e, *_ in debits_of(first)) == sorted(
            f"{i.advance.reference}-{i.pk}-1" for i in oldest
        )
        assert {seq for _e, seq, _a in debits_of(first)} == {"FRST"}
        assert first.line_count == 2
        assert first.total == sum((i.amount for i in oldest), D("0"))
        root = ET.fromstring(first.xml.encode())
        assert root.find(".//p:GrpHdr/p:MsgId", NS).text == first.message_id
        assert root.find(".//p:GrpHdr/p:NbOfTxs", NS).text == "2"
        assert {r.text for r in root.findall(".//p:MndtId", NS)} == {
            f"ALZ-{advance.pk}-1",
            f"ALZ-{other.pk}-1",
        }
        # The next file takes the four others as RCUR; every due instalment is debited once.
        rest, created = generate(fund, TODAY)
        assert created
        xmlschema.XMLSchema(XSD).validate(rest.xml)
        assert {seq for _e, seq, _a in debits_of(rest)} == {"RCUR"}
        listed = [e2e for e2e, *_ in debits_of(first) + debits_of(rest)]
        assert sorted(listed) == sorted(f"{i.advance.reference}-{i.pk}-1" for i in due)
        assert first.total + rest.total == sum((i.amount for i in due), D("0"))
        again, created = generate(fund, TODAY)
        assert (again.pk, created) == (rest.pk, False)

    def test_first_then_recurrent_and_nothing_twice(self, world):
        fund = collecting_fund(world.a)
        start = TODAY - dt.timedelta(days=40)  # one instalment due (start + 1 month)
        advance = disbursed_with_mandate(fund, disbursed_on=start)
        first, _ = generate(fund, TODAY)
        assert [seq for _e, seq, _a in debits_of(first)] == ["FRST"]
        again, created = generate(fund, TODAY)
        assert (again.pk, created) == (first.pk, False)
        assert count_rows(DirectDebitLine) == 1
        later = TODAY + dt.timedelta(days=31)
        second, created = generate(fund, later)
        assert created and [seq for _e, seq, _a in debits_of(second)] == ["RCUR"]
        with setup_scope():
            assert DirectDebitLine.objects.filter(instalment__advance=advance).count() == 2

    def test_one_off_mandate_debits_once(self, world):
        fund = collecting_fund(world.a)
        disbursed_with_mandate(fund, kind="one_off", disbursed_on=TODAY - dt.timedelta(days=70))
        collection, _ = generate(fund, TODAY)
        assert [seq for _e, seq, _a in debits_of(collection)] == ["OOFF"]
        with pytest.raises(ApplicationError) as nothing:
            generate(fund, TODAY + dt.timedelta(days=1))
        assert nothing.value.field == "collection_date"

    def test_amount_is_what_remains_and_nothing_is_recorded_as_paid(self, world):
        fund = collecting_fund(world.a)
        advance = disbursed_with_mandate(fund, disbursed_on=TODAY - dt.timedelta(days=40))
        with setup_scope():
            services.repayment_record(
                advance=advance,
                amount=D("400.00"),
                received_on=TODAY,
                idempotency_key=f"partial-{next(_keys)}",
                by=None,
            )
            repayments = Repayment.objects.count()
            entries = JournalTransaction.objects.count()
            lines = LedgerLine.objects.count()
        collection, _ = generate(fund, TODAY)
        assert [amount for _e, _s, amount in debits_of(collection)] == ["600.00"]
        with setup_scope():
            assert Repayment.objects.count() == repayments
            assert JournalTransaction.objects.count() == entries
            assert LedgerLine.objects.count() == lines

    def test_a_returned_debit_is_collected_again(self, world):
        fund = collecting_fund(world.a)
        disbursed_with_mandate(fund, disbursed_on=TODAY - dt.timedelta(days=40))
        first, _ = generate(fund, TODAY)
        with setup_scope():
            DirectDebitLine.objects.update(returned_at=dt.datetime(2026, 6, 10, tzinfo=dt.UTC))
        again, created = generate(fund, TODAY)
        assert created and again.pk != first.pk
        ((e2e, sequence, _amount),) = debits_of(again)
        assert e2e.endswith("-2") and sequence == "FRST"

    def test_fund_without_account_is_refused(self, world):
        fund = make_fund(world.a)
        with pytest.raises(ApplicationError) as refused:
            generate(fund, TODAY)
        assert refused.value.field == "creditor_identifier"
        assert count_rows(DirectDebitCollection) == 0


class TestFundCollectionAccount:
    def test_bad_creditor_identifier_names_the_field(self, world):
        fund = make_fund(world.a)
        with setup_scope(), pytest.raises(ValidationError) as refused:
            services.fund_set_collection_account(
                fund=fund, creditor_identifier="FR12ZZZ123456", iban=GOOD_IBAN, bic=GOOD_BIC
            )
        assert set(refused.value.message_dict) == {"creditor_identifier"}
        with setup_scope():
            assert Fund.objects.get(pk=fund.pk).creditor_identifier == ""

    def test_the_three_go_together(self, world):
        fund = make_fund(world.a)
        with setup_scope(), pytest.raises(ApplicationError) as refused:
            services.fund_set_collection_account(
                fund=fund, creditor_identifier=CREDITOR_ID, iban="", bic=""
            )
        assert refused.value.field == "iban"


# Web and API: the same rules ----------------------------------------------------------


def mandate_payload(advance, **changes):
    payload = {
        "debtor_name": "Atelier Dupont SARL",
        "iban": GOOD_IBAN,
        "bic": GOOD_BIC,
        "signed_on": TODAY.isoformat(),
        "kind": "recurrent",
    }
    return payload | changes


def web_post_mandate(client, advance, **changes):
    data = {f"mandate-{name}": value for name, value in mandate_payload(advance, **changes).items()}
    return client.post(reverse("loans:mandate-create", args=[advance.pk]), data)


def api_post_mandate(user, advance, **changes):
    payload = mandate_payload(advance, **changes) | {"advance": advance.pk}
    return api_client_for(user).post(reverse("api:mandate-list"), payload, format="json")


class TestMandateWebAndAPI:
    @pytest.mark.parametrize(
        ("field", "changes"),
        [
            ("iban", {"iban": "FR76 3000 6000 0112 3456 7890 188"}),
            ("bic", {"bic": "BNP"}),
            ("signed_on", {"signed_on": (TODAY + dt.timedelta(days=3)).isoformat()}),
        ],
    )
    def test_web_and_api_refuse_alike_on_the_field(self, world, client, field, changes):
        advance = advance_at("approved", make_fund(world.a))
        client.force_login(world.animateur_a)
        page = web_post_mandate(client, advance, **changes)
        assert page.status_code == 400
        form = page.context["forms"]["mandate"]
        assert list(form.errors) == [field], form.errors
        api = api_post_mandate(world.animateur_a, advance, **changes)
        assert api.status_code == 400
        assert list(api.json()["fields"]) == [field], api.json()
        assert count_rows(DirectDebitMandate) == 0

    def test_web_records_shows_and_revokes(self, world, client):
        advance = advance_at("approved", make_fund(world.a))
        client.force_login(world.animateur_a)
        response = web_post_mandate(client, advance)
        assert response.status_code == 302
        reference = f"ALZ-{advance.pk}-1"
        page = client.get(reverse("loans:advance-detail", args=[advance.pk])).content.decode()
        assert reference in page and "FR7630006000011234567890189" in page
        assert advance.reference in page
        with setup_scope():
            mandate = DirectDebitMandate.objects.get(reference=reference)
        url = reverse("loans:mandate-revoke", args=[advance.pk, mandate.pk])
        refused = client.post(url, {"mandate_revoke-reason": "non"})
        assert refused.status_code == 400
        done = client.post(
            url,
            {
                "mandate_revoke-reason": "La PME change de banque",
                "mandate_revoke-revoked_on": TODAY.isoformat(),
            },
        )
        assert done.status_code == 302
        mandate.refresh_from_db()
        assert mandate.revoked_reason == "La PME change de banque"

    def test_web_mandate_of_other_dispositif_is_404(self, world, client):
        other = advance_at("approved", make_fund(world.b))
        client.force_login(world.animateur_a)
        assert web_post_mandate(client, other).status_code == 404
        api = api_post_mandate(world.animateur_a, other)
        assert api.status_code == 400
        assert count_rows(DirectDebitMandate) == 0

    def test_api_revoke(self, world):
        advance = advance_at("approved", make_fund(world.a))
        created = api_post_mandate(world.animateur_a, advance)
        assert created.status_code == 201, created.content
        assert created.json()["reference"] == f"ALZ-{advance.pk}-1"
        url = reverse("api:mandate-revoke", args=[created.json()["id"]])
        for role in ("animateur_b", "member", "api_client", "no_role"):
            response = api_client_for(world.user(role)).post(url, {"reason": "x" * 20})
            assert response.status_code in (403, 404), role
        response = api_client_for(world.animateur_a).post(
            url, {"reason": "Mandat révoqué par la PME"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["in_force"] is False


class TestMandateAPI(APIReadTestBase, PersonalDataMixin):
    basename = "mandate"
    model = DirectDebitMandate
    readers = frozenset({"coordinator", "animateur", "api_client"})
    writers = frozenset({"coordinator", "animateur"})
    personal_fields = ("debtor_name", "iban", "bic", "revoked_reason", "created_by")

    def make(self, world, dispositif):
        advance = advance_at("approved", make_fund(dispositif, name=f"Fonds {next(_keys)}"))
        return services.mandate_create(
            advance=advance,
            debtor_name="Atelier",
            iban=GOOD_IBAN,
            bic=GOOD_BIC,
            signed_on=TODAY,
            by=world.coordinator,
        )

    def test_create_refused_for_role(self, world, refused_role):
        advance = advance_at("approved", make_fund(world.a))
        response = api_post_mandate(world.user(refused_role), advance)
        assert 400 <= response.status_code < 500, refused_role
        assert count_rows(DirectDebitMandate) == 0


class TestCollectionPages:
    def test_generate_download_and_list(self, world, client):
        fund = collecting_fund(world.a)
        disbursed_with_mandate(fund, disbursed_on=TODAY - dt.timedelta(days=40))
        client.force_login(world.animateur_a)
        url = reverse("loans:collection-generate", args=[fund.pk])
        response = client.post(url, {"collection-collection_date": TODAY.isoformat()})
        assert response.status_code == 302
        again = client.post(url, {"collection-collection_date": TODAY.isoformat()}, follow=True)
        assert "Rien de nouveau" in again.content.decode()
        with setup_scope():
            (collection,) = DirectDebitCollection.objects.all()
        download = client.get(reverse("loans:collection-download", args=[collection.pk]))
        assert download.status_code == 200
        assert download["Content-Disposition"] == (
            f'attachment; filename="{collection.message_id}.xml"'
        )
        xmlschema.XMLSchema(XSD).validate(download.content.decode())
        page = client.get(reverse("loans:fund-detail", args=[fund.pk])).content.decode()
        assert collection.message_id in page
        listed = client.get(reverse("loans:collection-list", args=[fund.pk]))
        assert collection.message_id in listed.content.decode()

    def test_nothing_due_is_refused_on_the_date(self, world, client):
        fund = collecting_fund(world.a)
        client.force_login(world.animateur_a)
        response = client.post(
            reverse("loans:collection-generate", args=[fund.pk]),
            {"collection-collection_date": TODAY.isoformat()},
        )
        assert response.status_code == 400
        assert list(response.context["collection_form"].errors) == ["collection_date"]

    def test_account_form_names_the_bad_field(self, world, client):
        fund = make_fund(world.a)
        client.force_login(world.animateur_a)
        response = client.post(
            reverse("loans:fund-collection-account", args=[fund.pk]),
            {
                "account-creditor_identifier": "FR72ZZZ123456",
                "account-iban": "FR7630006000011234567890188",
                "account-bic": GOOD_BIC,
            },
        )
        assert response.status_code == 400
        assert list(response.context["account_form"].errors) == ["iban"]
        ok = client.post(
            reverse("loans:fund-collection-account", args=[fund.pk]),
            {
                "account-creditor_identifier": "fr72 zzz 123456",
                "account-iban": GOOD_IBAN,
                "account-bic": GOOD_BIC,
            },
        )
        assert ok.status_code == 302
        fund.refresh_from_db()
        assert fund.creditor_identifier == "FR72ZZZ123456"

    @pytest.mark.parametrize("role", ["animateur_b", "member", "api_client", "no_role"])
    def test_other_dispositif_and_other_roles_get_404(self, world, client, role):
        fund = collecting_fund(world.a)
        disbursed_with_mandate(fund, disbursed_on=TODAY - dt.timedelta(days=40))
        collection, _ = generate(fund, TODAY)
        client.force_login(world.user(role))
        for name, args in (
            ("loans:collection-list", [fund.pk]),
            ("loans:collection-download", [collection.pk]),
        ):
            assert client.get(reverse(name, args=args)).status_code == 404, name
        for name, data in (
            ("loans:collection-generate", {"collection-collection_date": TODAY.isoformat()}),
            ("loans:fund-collection-account", {"account-iban": GOOD_IBAN}),
        ):
            assert client.post(reverse(name, args=[fund.pk]), data).status_code == 404, name
        assert count_rows(DirectDebitCollection) == 1

    def test_coordinator_reads_every_dispositif(self, world, client):
        fund = collecting_fund(world.b)
        disbursed_with_mandate(fund, disbursed_on=TODAY - dt.timedelta(days=40))
        collection, _ = generate(fund, TODAY)
        client.force_login(world.coordinator)
        response = client.get(reverse("loans:collection-download", args=[collection.pk]))
        assert response.status_code == 200

    def test_anonymous_is_sent_to_login(self, world, client):
        fund = collecting_fund(world.a)
        advance = advance_at("approved", fund)
        for name, args, method in (
            ("loans:collection-list", [fund.pk], "get"),
            ("loans:collection-generate", [fund.pk], "post"),
            ("loans:collection-download", [1], "get"),
            ("loans:fund-collection-account", [fund.pk], "post"),
            ("loans:mandate-create", [advance.pk], "post"),
            ("loans:mandate-revoke", [advance.pk, 1], "post"),
        ):
            response = getattr(client, method)(reverse(name, args=args))
            assert response.status_code == 302, name
            assert reverse("login") in response["Location"]

    def test_collection_list_query_count_does_not_grow(self, world, client):
        fund = collecting_fund(world.a)
        client.force_login(world.animateur_a)
        url = reverse("loans:collection-list", args=[fund.pk])
        days = itertools.count(1)

        def add(count):
            for _ in range(count):
                day = TODAY - dt.timedelta(days=400 - 31 * next(days))
                disbursed_with_mandate(fund, disbursed_on=day - dt.timedelta(days=40))
                generate(fund, day)

        add(2)
        assert_queries_do_not_grow("loans:collection-list", lambda: client.get(url), lambda: add(4))


@pytest.mark.django_db(transaction=True)
def test_two_generations_at_once_collect_each_instalment_once(world, monkeypatch):
    """The first request holds the fund's lock while it draws its file; the second waits,
    then finds every instalment collected and answers with the first file."""

    fund = collecting_fund(world.a)
    disbursed_with_mandate(fund, disbursed_on=TODAY - dt.timedelta(days=40))  # one due

    def poster(user):
        web = Client(raise_request_exception=False)
        web.force_login(user)
        data = {"collection-collection_date": TODAY.isoformat()}
        return lambda: web.post(reverse("loans:collection-generate", args=[fund.pk]), data)

    first, second = race(
        monkeypatch,
        collections,
        "due_debits",
        poster(world.animateur_a),
        poster(world.coordinator),
    )
    assert (first.status_code, second.status_code) == (302, 302)
    assert count_rows(DirectDebitCollection) == 1
    assert count_rows(DirectDebitLine) == 1
