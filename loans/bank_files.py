"""Reading bank statement files: CAMT.053 (ISO 20022, every version of
``camt.053.001``) and CSV through a fund's column mapping. No database access: a file
becomes a ``ParsedStatement`` or an ``ApplicationError`` naming what is wrong (the entry and
the element or the row and the column), so nothing is stored from a bad file.

CAMT.053 is read with the standard library's expat parser (it limits entity expansion);
a file declaring a DTD or entities is refused outright, as no bank statement needs one."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import xml.etree.ElementTree as ET  # noqa: S405 - DTDs refused before parsing, see below
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from alize.errors import ApplicationError

if TYPE_CHECKING:
    from .models import StatementColumnMapping

CAMT053_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
MAX_LINES = 20_000
CREDIT, DEBIT = "CRDT", "DBIT"


@dataclass
class ParsedLine:
    """One transaction of a statement, as the bank wrote it (amount signed)."""

    booking_date: dt.date
    amount: Decimal
    direction: str
    transaction_id: str = ""
    counterparty_name: str = ""
    counterparty_account: str = ""
    remittance_text: str = ""
    end_to_end_id: str = ""
    mandate_id: str = ""
    return_reason: str = ""
    reversal: bool = False
    transaction_id_derived: bool = False


@dataclass
class ParsedStatement:
    source_format: str
    account_iban: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    lines: list[ParsedLine] = field(default_factory=list)


def refuse(message: str) -> ApplicationError:
    return ApplicationError(message, field="file", code="bad_statement")


def derive_transaction_ids(lines: list[ParsedLine], account: str) -> None:
    """Give each line without a bank id a stable one: a hash of date, amount, text,
    counterparty and account, and of its rank among identical lines of the file (two
    identical payments on one day stay two; the same file read again gives the same ids)."""
    seen: Counter[tuple] = Counter()
    for line in lines:
        if line.transaction_id:
            continue
        facts = (
            line.booking_date.isoformat(),
            str(line.amount),
            " ".join(line.remittance_text.split()),
            line.counterparty_name.strip(),
            line.counterparty_account,
            account,
        )
        rank = seen[facts]
        seen[facts] += 1
        digest = hashlib.sha256("|".join((*facts, str(rank))).encode()).hexdigest()[:32]
        line.transaction_id = f"h:{digest}"
        line.transaction_id_derived = True


# --- CAMT.053 ------------------------------------------------------------------------


def parse_camt053(content: bytes) -> ParsedStatement:
    """The booked entries of a CAMT.053 file, one line per transaction (an entry booking a
    batch gives one line per ``TxDtls``)."""
    head = content[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in content.upper():
        raise refuse(_("Ce fichier XML déclare une DTD ou des entités : il est refusé."))
    try:
        root = ET.fromstring(content)  # noqa: S314 - see the module docstring
    except ET.ParseError as error:
        raise refuse(
            _("Ce fichier n'est pas un XML lisible (%(error)s).") % {"error": error}
        ) from None
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if not namespace.startswith(CAMT053_NAMESPACE) or _local(root.tag) != "Document":
        raise refuse(
            _(
                "Ce fichier n'est pas un relevé CAMT.053 (espace de noms « %(namespace)s » : "
                "camt.053.001.xx attendu)."
            )
            % {"namespace": namespace or "—"}
        )
    reader = _Camt(namespace)
    statements = reader.all(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise refuse(_("Ce relevé CAMT.053 ne contient aucun élément Stmt."))
    parsed = ParsedStatement(source_format="camt053")
    ibans = set()
    for statement in statements:
        iban = reader.text(statement, "Acct/Id/IBAN").replace(" ", "").upper()
        if iban:
            ibans.add(iban)
        start = reader.date(statement, "FrToDt/FrDtTm", "Stmt/FrToDt/FrDtTm")
        end = reader.date(statement, "FrToDt/ToDtTm", "Stmt/FrToDt/ToDtTm")
        if start and (parsed.period_start is None or start < parsed.period_start):
            parsed.period_start = start
        if end and (parsed.period_end is None or end > parsed.period_end):
            parsed.period_end = end
        for number, entry in enumerate(reader.all(statement, "Ntry"), start=1):
            parsed.lines.extend(reader.entry(entry, number))
            if len(parsed.lines) > MAX_LINES:
                raise refuse(_("Un relevé compte au plus %(count)d lignes.") % {"count": MAX_LINES})
    if len(ibans) > 1:
        raise refuse(
            _("Ce fichier mêle plusieurs comptes (%(ibans)s).")
            % {"ibans": ", ".join(sorted(ibans))}
        )
    parsed.account_iban = ibans.pop() if ibans else ""
    dates = [line.booking_date for line in parsed.lines]
    if dates:
        parsed.period_start = parsed.period_start or min(dates)
        parsed.period_end = parsed.period_end or max(dates)
    derive_transaction_ids(parsed.lines, parsed.account_iban)
    return parsed


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Camt:
    """Paths in one CAMT namespace; elements are looked up by their ISO names."""

    def __init__(self, namespace: str):
        self.ns = namespace

    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def all(self, element, path: str) -> list:
        return element.findall(self._path(path))

    def one(self, element, path: str):
        return element.find(self._path(path))

    def text(self, element, *paths: str) -> str:
        for path in paths:
            found = self.one(element, path)
            if found is not None and (found.text or "").strip():
                return (found.text or "").strip()
        return ""

    def date(self, element, *paths: str) -> dt.date | None:
        value = self.text(element, *paths)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise refuse(
                _("Date illisible « %(value)s » (%(path)s).") % {"value": value, "path": paths[0]}
            ) from None

    def amount(self, element, path: str, where: str) -> Decimal | None:
        found = self.one(element, path)
        if found is None:
            return None
        currency = found.get("Ccy", "EUR")
        if currency != "EUR":
            raise refuse(
                _("%(where)s : montant en %(currency)s ; seuls les euros sont lus.")
                % {"where": where, "currency": currency}
            )
        try:
            value = Decimal((found.text or "").strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
            raise refuse(
                _("%(where)s : montant illisible « %(value)s » (Amt).")
                % {"where": where, "value": (found.text or "").strip()}
            )
        return value

    def entry(self, entry, number: int) -> list[ParsedLine]:
        where = _("Entrée %(number)d") % {"number": number}
        status = self.text(entry, "Sts/Cd", "Sts")
        if status and status != "BOOK":
            return []  # pending or informative entries are not on the account yet
        amount = self.amount(entry, "Amt", where)
        if amount is None:
            raise refuse(_("%(where)s : pas de montant (Amt).") % {"where": where})
        direction = self.text(entry, "CdtDbtInd")
        if direction not in (CREDIT, DEBIT):
            raise refuse(
                _("%(where)s : sens « %(value)s » inconnu (CdtDbtInd : CRDT ou DBIT).")
                % {"where": where, "value": direction}
            )
        booked = self.date(entry, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")
        if booked is None:
            raise refuse(
                _("%(where)s : pas de date de comptabilisation (BookgDt).") % {"where": where}
            )
        reversal = self.text(entry, "RvslInd").lower() in ("true", "1")
        entry_ref = self.text(entry, "AcctSvcrRef") or self.text(entry, "NtryRef")
        details = [
            tx for group in self.all(entry, "NtryDtls") for tx in self.all(group, "TxDtls")
        ] or [None]
        lines = []
        for index, tx in enumerate(details):
            line_amount = amount
            if tx is not None and len(details) > 1:
                line_amount = (
                    self.amount(tx, "Amt", where)
                    or self.amount(tx, "AmtDtls/TxAmt/Amt", where)
                    or Decimal("0")
                )
                if not line_amount:
                    raise refuse(
                        _("%(where)s : la transaction %(index)d d'un lot n'a pas de montant.")
                        % {"where": where, "index": index + 1}
                    )
            line = ParsedLine(
                booking_date=booked,
                amount=line_amount if direction == CREDIT else -line_amount,
                direction=direction,
                reversal=reversal,
                remittance_text=self.text(entry, "AddtlNtryInf"),
            )
            if tx is not None:
                self._details(tx, line)
            own_ref = self.text(tx, "Refs/AcctSvcrRef") if tx is not None else ""
            if own_ref:
                line.transaction_id = own_ref
            elif entry_ref:
                line.transaction_id = entry_ref if len(details) == 1 else f"{entry_ref}/{index + 1}"
            lines.append(line)
        if len(details) > 1:
            total = sum((abs(line.amount) for line in lines), Decimal("0"))
            if total != amount:
                raise refuse(
                    _("%(where)s : les transactions du lot font %(total)s, l'entrée %(amount)s.")
                    % {"where": where, "total": total, "amount": amount}
                )
        return lines

    def _details(self, tx, line: ParsedLine) -> None:
        line.end_to_end_id = _clean_ref(self.text(tx, "Refs/EndToEndId"))
        line.mandate_id = self.text(tx, "Refs/MndtId")
        texts = [node.text.strip() for node in self.all(tx, "RmtInf/Ustrd") if node.text]
        if texts:
            line.remittance_text = " ".join(texts)
        # The payer of a credit, the payee of a debit; v08+ wrap the party in Pty.
        party = "Dbtr" if line.direction == CREDIT else "Cdtr"
        line.counterparty_name = self.text(
            tx, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm"
        )[:140]
        line.counterparty_account = self.text(tx, f"RltdPties/{party}Acct/Id/IBAN")[:34]
        line.return_reason = self.text(tx, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")[:35]


def _clean_ref(value: str) -> str:
    """``NOTPROVIDED`` is the bank's way of saying there is no end-to-end id."""
    return "" if value.upper() == "NOTPROVIDED" else value[:35]


# --- CSV ------------------------------------------------------------------------------


def parse_csv(content: bytes, mapping: StatementColumnMapping) -> ParsedStatement:
    """The rows of a CSV statement, read through the fund's column mapping: the header row
    names the columns; a positive amount is a credit, a negative one a debit."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    rows = list(csv.reader(io.StringIO(text), delimiter=mapping.separator))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise refuse(_("Ce fichier CSV est vide."))
    header = [_header(cell) for cell in rows[0]]
    columns = {}
    wanted = {
        "date": (mapping.date_column, _("la date")),
        "amount": (mapping.amount_column, _("le montant")),
        "text": (mapping.text_column, _("le libellé")),
        "name": (mapping.name_column, _("la contrepartie")),
        "id": (mapping.transaction_id_column, _("l'identifiant bancaire")),
    }
    for key, (name, label) in wanted.items():
        if not name:
            continue
        if _header(name) not in header:
            raise refuse(
                _(
                    "La colonne « %(name)s » (%(label)s) manque ; les colonnes du fichier sont : "
                    "%(found)s. Vérifiez le séparateur et les colonnes du fonds."
                )
                % {"name": name, "label": label, "found": " | ".join(rows[0])}
            )
        columns[key] = header.index(_header(name))
    parsed = ParsedStatement(source_format="csv")
    if len(rows) - 1 > MAX_LINES:
        raise refuse(_("Un relevé compte au plus %(count)d lignes.") % {"count": MAX_LINES})
    for number, row in enumerate(rows[1:], start=2):

        def cell(key: str, row=row) -> str:
            index = columns.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        where = _("Ligne %(number)d") % {"number": number}
        try:
            booked = dt.datetime.strptime(cell("date"), mapping.date_format).date()
        except ValueError:
            raise refuse(
                _("%(where)s : date « %(value)s » illisible (format attendu : %(format)s).")
                % {
                    "where": where,
                    "value": cell("date"),
                    "format": mapping.get_date_format_display(),
                }
            ) from None
        amount = _csv_amount(cell("amount"), mapping.decimal_comma)
        if amount is None or amount == 0:
            raise refuse(
                _("%(where)s : montant « %(value)s » illisible.")
                % {"where": where, "value": cell("amount")}
            )
        parsed.lines.append(
            ParsedLine(
                booking_date=booked,
                amount=amount,
                direction=CREDIT if amount > 0 else DEBIT,
                transaction_id=cell("id")[:128],
                counterparty_name=cell("name")[:140],
                remittance_text=cell("text"),
            )
        )
    if parsed.lines:
        parsed.period_start = min(line.booking_date for line in parsed.lines)
        parsed.period_end = max(line.booking_date for line in parsed.lines)
    derive_transaction_ids(parsed.lines, "")
    return parsed


def _header(value: str) -> str:
    return " ".join(value.strip().lower().split())


def _csv_amount(value: str, decimal_comma: bool) -> Decimal | None:
    value = re.sub(r"[\s\u00a0\u202f€]", "", value)
    if decimal_comma:
        value = value.replace(".", "").replace(",", ".")
    else:
        value = value.replace(",", "")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


# --- Names ----------------------------------------------------------------------------

LEGAL_FORMS = {"sa", "sas", "sasu", "sarl", "eurl", "sci", "snc", "scop", "ste", "societe", "ets"}


def name_key(value: str) -> str:
    """A company or payer name without accents, case, punctuation or legal form, for the
    likeness of a payer's name and an SME's."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", value)
    return " ".join(word for word in words if word not in LEGAL_FORMS)


# --- Writing (demo data, tests and the bench) -------------------------------------------


@dataclass
class CamtEntry:
    """One entry to write in a CAMT.053 statement (``camt053_document``)."""

    booking_date: dt.date
    amount: Decimal
    direction: str = CREDIT
    reference: str = ""
    end_to_end_id: str = ""
    mandate_id: str = ""
    name: str = ""
    text: str = ""
    return_reason: str = ""
    reversal: bool = False


def camt053_document(
    *,
    account_iban: str,
    entries: list[CamtEntry],
    message_id: str = "STMT",
    version: str = "08",
) -> bytes:
    """A booked-entries CAMT.053 statement in the ISO 20022 structure (group header,
    statement with account and period, one entry per payment with its transaction
    details), for the demo data, the tests and the bench."""
    ns = f"{CAMT053_NAMESPACE}{version}"
    ET.register_namespace("", ns)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    dates = [entry.booking_date for entry in entries] or [dt.date.today()]
    document = ET.Element(f"{{{ns}}}Document")
    root = sub(document, "BkToCstmrStmt")
    header = sub(root, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", f"{max(dates).isoformat()}T20:00:00")
    statement = sub(root, "Stmt")
    sub(statement, "Id", message_id)
    sub(statement, "CreDtTm", f"{max(dates).isoformat()}T20:00:00")
    period = sub(statement, "FrToDt")
    sub(period, "FrDtTm", f"{min(dates).isoformat()}T00:00:00")
    sub(period, "ToDtTm", f"{max(dates).isoformat()}T23:59:59")
    account = sub(statement, "Acct")
    sub(sub(account, "Id"), "IBAN", account_iban)
    sub(account, "Ccy", "EUR")
    new_party = version >= "08"
    for entry in entries:
        node = sub(statement, "Ntry")
        sub(node, "Amt", f"{abs(entry.amount):.2f}", Ccy="EUR")
        sub(node, "CdtDbtInd", entry.direction)
        if entry.reversal:
            sub(node, "RvslInd", "true")
        if new_party:
            sub(sub(node, "Sts"), "Cd", "BOOK")
        else:
            sub(node, "Sts", "BOOK")
        sub(sub(node, "BookgDt"), "Dt", entry.booking_date.isoformat())
        sub(sub(node, "ValDt"), "Dt", entry.booking_date.isoformat())
        if entry.reference:
            sub(node, "AcctSvcrRef", entry.reference)
        code = sub(sub(node, "BkTxCd"), "Domn")
        sub(code, "Cd", "PMNT")
        family = sub(code, "Fmly")
        sub(family, "Cd", "IDDT" if entry.mandate_id else "RCDT")
        sub(family, "SubFmlyCd", "UPDD" if entry.return_reason else "ESCT")
        tx = sub(sub(node, "NtryDtls"), "TxDtls")
        refs = sub(tx, "Refs")
        sub(refs, "EndToEndId", entry.end_to_end_id or "NOTPROVIDED")
        if entry.mandate_id:
            sub(refs, "MndtId", entry.mandate_id)
        if entry.name:
            party = "Dbtr" if entry.direction == CREDIT else "Cdtr"
            holder = sub(sub(tx, "RltdPties"), party)
            sub(sub(holder, "Pty") if new_party else holder, "Nm", entry.name)
        if entry.text:
            sub(sub(tx, "RmtInf"), "Ustrd", entry.text)
        if entry.return_reason:
            sub(sub(sub(tx, "RtrInf"), "Rsn"), "Cd", entry.return_reason)
    ET.indent(document)
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)
