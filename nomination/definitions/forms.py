"""Form definitions (``forms/*.toml``) compiled into WTForms forms.

The same compiled form validates the web form and the JSON API, so both give the same errors.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from markupsafe import Markup
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

# types-WTForms 3.2 lacks SelectChoice, which WTForms 3.3 has: the stub is behind the library.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.utils import unset_value

from nomination.db import local_today
from nomination.i18n import lazy, lazy_tr
from nomination.labels import phone_as_written
from nomination.paths import data_dir, definition_folders

#: Field types a definition may use; the API publishes these names.
FIELD_TYPES = (
    "text",
    "textarea",
    "date",
    "integer",
    "choice",
    "boolean",
    "id_number",
    "uscc",
    "phone",
    "email",
    "rows",
    "remarks",
)
#: What a field may be declared sensitive as (``sensitive = "phone"``): how it is masked for
#: those who may not see it in clear (``nomination.permissions.privacy``).
SENSITIVE_KINDS = ("id_number", "phone")
#: Types a column of a "rows" field may have.
COLUMN_TYPES = ("text", "integer", "date", "choice")
#: Rows a "rows" field allows when its definition does not say.
DEFAULT_MAX_ROWS = 10


class DefinitionError(Exception):
    """A definition file is wrong; the message names the file and the entry."""


def _nfkc(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


class IdNumber:
    """A resident ID number (居民身份证号码), checked by python-stdnum after NFKC."""

    def __call__(self, form: Form, fld: Field) -> None:
        """Validate the number and its agreement with date of birth and gender when given."""
        if not fld.data:
            return
        try:
            number = ric.validate(_nfkc(fld.data).upper())
        except StdnumError:
            raise validators.ValidationError(
                lazy_tr(
                    "身份证号码无效(请检查位数和校验码)",
                    "Invalid resident ID number (length or check digit)",
                )
            ) from None
        fld.data = number
        birth = getattr(form, "birth_date", None)
        if birth is not None and birth.data and ric.get_birth_date(number) != birth.data:
            raise validators.ValidationError(
                lazy_tr(
                    "身份证号码与出生日期不符", "The ID number does not match the date of birth"
                )
            )
        gender = getattr(form, "gender", None)
        if gender is not None and gender.data in ("male", "female"):
            is_male = int(number[16]) % 2 == 1
            if is_male != (gender.data == "male"):
                raise validators.ValidationError(
                    lazy_tr("身份证号码与性别不符", "The ID number does not match the gender")
                )


class CreditCode:
    """A unified social credit code (统一社会信用代码), checked by python-stdnum."""

    def __call__(self, form: Form, fld: Field) -> None:
        """Validate and normalise the code."""
        if not fld.data:
            return
        try:
            fld.data = uscc.validate(_nfkc(fld.data).upper())
        except StdnumError:
            raise validators.ValidationError(
                lazy_tr("统一社会信用代码无效", "Invalid unified social credit code")
            ) from None


class Phone:
    """A phone number reachable in China, checked by phonenumbers and stored in E.164."""

    def __call__(self, form: Form, fld: Field) -> None:
        """Validate and normalise the number."""
        if not fld.data:
            return
        try:
            parsed = phonenumbers.parse(_nfkc(fld.data), "CN")
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            raise validators.ValidationError(lazy_tr("电话号码无效", "Invalid phone number"))
        fld.data = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class PhoneField(StringField):
    """A phone field: shown as people write it, never in the E.164 it is stored in."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return phone_as_written(str(self.data)) if self.data else ""


class Email:
    """An e-mail address, checked by email-validator without a DNS look-up."""

    def __call__(self, form: Form, fld: Field) -> None:
        """Validate and normalise the address."""
        if not fld.data:
            return
        try:
            fld.data = validate_email(_nfkc(fld.data), check_deliverability=False).normalized
        except EmailNotValidError:
            raise validators.ValidationError(
                lazy_tr("电子邮件地址无效", "Invalid e-mail address")
            ) from None


class NotInFuture:
    """A date that is not after today."""

    def __call__(self, form: Form, fld: Field) -> None:
        """Refuse dates after today."""
        if fld.data and fld.data > local_today():
            raise validators.ValidationError(
                lazy_tr("日期不能晚于今天", "The date cannot be in the future")
            )


class CharCount:
    """A length limit counted in characters (a Chinese character is one)."""

    def __init__(self, minimum: int | None, maximum: int | None):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form: Form, fld: Field) -> None:
        """Refuse text outside the limits, saying how long it is."""
        n = len(fld.data or "")
        if not n:
            return
        if self.maximum is not None and n > self.maximum:
            raise validators.ValidationError(
                lazy_tr(
                    f"不能超过 {self.maximum} 字(现为 {n} 字)",
                    f"At most {self.maximum} characters (now {n})",
                )
            )
        if self.minimum is not None and n < self.minimum:
            raise validators.ValidationError(
                lazy_tr(
                    f"至少 {self.minimum} 字(现为 {n} 字)",
                    f"At least {self.minimum} characters (now {n})",
                )
            )


#: Validators a definition may name in ``validators = [...]``.
NAMED_VALIDATORS: dict[str, Any] = {"not_in_future": NotInFuture}

_TYPE_VALIDATORS: dict[str, Any] = {
    "id_number": IdNumber,
    "uscc": CreditCode,
    "phone": Phone,
    "email": Email,
}


@dataclass(frozen=True)
class FieldDef:
    """One field of a form definition."""

    name: str
    type: str
    label: dict[str, str]
    help: dict[str, str] | None = None
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[tuple[str, dict[str, str]], ...] = ()
    validators: tuple[str, ...] = ()
    public: bool = False
    #: Shown to the departments consulted on the nominee (征求意见): only what they need to
    #: check their records (who, which unit, its credit code), never the whole file.
    consult: bool = False
    #: The kind of personal value it holds, masked for readers who may not see it in clear
    #: (one of :data:`SENSITIVE_KINDS`), or None.
    sensitive: str | None = None
    #: For a "rows" field (a repeatable group, e.g. prior honours): its columns, and at most
    #: how many rows. Its value is a list of {column: value}.
    columns: tuple[FieldDef, ...] = ()
    max_rows: int | None = None

    def as_api(self) -> dict[str, Any]:
        """Describe the field for API clients."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "required": self.required,
        }
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.choices:
            out["choices"] = [{"value": v, "label": lab} for v, lab in self.choices]
        if self.columns:
            out["columns"] = [c.as_api() for c in self.columns]
            out["max_rows"] = self.max_rows
        return out

    def display(self, value: Any, language: str | None = None) -> str:
        """Return ``value`` as shown to people (choice labels, yes/no)."""
        from nomination.i18n import pick

        if value is None or value == "":
            return ""
        if self.type == "rows":
            rows = value if isinstance(value, list) else []
            return ";".join(
                " · ".join(
                    shown for c in self.columns if (shown := c.display(row.get(c.name), language))
                )
                for row in rows
                if isinstance(row, dict)
            )
        if self.type == "remarks":
            # Remarks name fields of another form (the nominee's); their labels are not known here.
            remarks = value if isinstance(value, dict) else {}
            return ";".join(f"{name}: {text}" for name, text in remarks.items())
        if self.type == "choice":
            return next((pick(lab, language) for v, lab in self.choices if v == value), str(value))
        if self.type == "boolean":
            return pick({"zh": "是", "en": "Yes"} if value else {"zh": "否", "en": "No"}, language)
        if self.type == "phone":
            # Kept in E.164 to compare; shown as people write it (13910000000, not +86…).
            return phone_as_written(str(value))
        return str(value)


@dataclass(frozen=True, eq=False)
class FormDef:
    """A form definition: named, titled, with fields in order."""

    name: str
    title: dict[str, str]
    fields: tuple[FieldDef, ...]
    title_field: str | None = None
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def field(self, name: str) -> FieldDef | None:
        """Return the field called ``name``."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def public_fields(self) -> tuple[FieldDef, ...]:
        """Return the fields that a public notice may show."""
        return tuple(f for f in self.fields if f.public)

    def consult_fields(self) -> tuple[FieldDef, ...]:
        """Return the fields a consulted department is shown."""
        return tuple(f for f in self.fields if f.consult)


def parse_form(raw: dict[str, Any], source: str) -> FormDef:
    """Check a raw form definition and return it; errors name ``source`` and the entry."""

    def fail(entry: str, problem: str) -> DefinitionError:
        return DefinitionError(f"{source}: {entry}: {problem}")

    if not isinstance(raw.get("name"), str):
        raise fail("name", "missing")
    fields: list[FieldDef] = []
    seen: set[str] = set()
    for i, f in enumerate(raw.get("fields", [])):
        entry = f"fields[{i}] ({f.get('name', '?')})"
        name = f.get("name")
        if name in seen:
            raise fail(entry, f"duplicate field {name!r}")
        fields.append(_parse_field(f, entry, fail, FIELD_TYPES))
        seen.add(name)
    title_field = raw.get("title_field")
    if title_field is not None and title_field not in seen:
        raise fail("title_field", f"no field {title_field!r}")
    return FormDef(
        name=raw["name"],
        title=raw.get("title", {"zh": raw["name"], "en": raw["name"]}),
        fields=tuple(fields),
        title_field=title_field,
        source=source,
        raw=raw,
    )


def _parse_field(f: dict[str, Any], entry: str, fail: Any, types: tuple[str, ...]) -> FieldDef:
    """Check one field (or a column of a "rows" field) and return it."""
    name, ftype = f.get("name"), f.get("type")
    if not name or not str(name).isidentifier():
        raise fail(entry, "a field needs a name that is an identifier")
    if ftype not in types:
        raise fail(entry, f"unknown type {ftype!r}; use one of {', '.join(types)}")
    label = f.get("label")
    if not isinstance(label, dict) or "zh" not in label or "en" not in label:
        raise fail(entry, "label needs zh and en")
    for v in f.get("validators", []):
        if v not in NAMED_VALIDATORS:
            raise fail(entry, f"unknown validator {v!r}")
    choices = tuple((str(c["value"]), {"zh": c["zh"], "en": c["en"]}) for c in f.get("choices", []))
    if ftype == "choice" and not choices:
        raise fail(entry, "a choice field needs choices")
    # A field of an ID number or phone type is sensitive unless declared otherwise; any field
    # may be declared one (a phone typed as text).
    sensitive = f.get("sensitive", ftype if ftype in SENSITIVE_KINDS else None)
    if sensitive is False:
        sensitive = None
    if sensitive is not None and sensitive not in SENSITIVE_KINDS:
        raise fail(entry, f"sensitive must be one of {', '.join(SENSITIVE_KINDS)}")
    columns: tuple[FieldDef, ...] = ()
    if ftype == "rows":
        raw_columns = f.get("columns")
        if not isinstance(raw_columns, list) or not raw_columns:
            raise fail(entry, "a rows field needs columns")
        columns = tuple(
            _parse_field(c, f"{entry}.columns[{j}]", fail, COLUMN_TYPES)
            for j, c in enumerate(raw_columns)
        )
        if len({c.name for c in columns}) != len(columns):
            raise fail(entry, "duplicate column names")
    return FieldDef(
        name=name,
        type=ftype,
        label=label,
        help=f.get("help"),
        required=bool(f.get("required", False)),
        min_length=f.get("min_length"),
        max_length=f.get("max_length"),
        minimum=f.get("min"),
        maximum=f.get("max"),
        choices=choices,
        validators=tuple(f.get("validators", [])),
        public=bool(f.get("public", False)),
        consult=bool(f.get("consult", False)),
        sensitive=sensitive,
        columns=columns,
        max_rows=int(f.get("max_rows", DEFAULT_MAX_ROWS)) if ftype == "rows" else None,
    )


def load_form_file(path: Path) -> FormDef:
    """Read and check one form definition file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path}: {exc}") from None
    return parse_form(raw, str(path))


def forms_dir() -> Path:
    """Return the folder of form definitions."""
    return data_dir("forms")


def load_form_raw(name: str, folder: Path | None = None) -> dict[str, Any]:
    """Return the raw content of the form called ``name``, checked.

    Without ``folder``, the deployment's folders are searched before the packaged one.
    """
    folders = [folder] if folder else definition_folders("forms")
    for candidate in folders:
        path = candidate / f"{name}.toml"
        if path.is_file():
            return load_form_file(path).raw
    raise DefinitionError(f"{folders[0] / f'{name}.toml'}: no such form definition")


class RowsField(FieldList):
    """A repeatable group of fields, always offering one empty row to fill in (up to its max)."""

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Read the rows, then add an empty one when there is room."""
        super().process(formdata, data, extra_filters)
        room = self.max_entries is None or len(self.entries) < self.max_entries
        if room and (not self.entries or _row_filled(self.entries[-1].data)):
            self.append_entry()


def _row_filled(row: dict[str, Any]) -> bool:
    return any(v not in (None, "") for v in row.values())


class RowsComplete:
    """Each row that is filled in at all has its required columns."""

    def __init__(self, columns: tuple[FieldDef, ...]):
        self.required = [c for c in columns if c.required]

    def __call__(self, form: Any, field: Any) -> None:
        for i, entry in enumerate(field.entries, 1):
            if not _row_filled(entry.data):
                continue
            missing = [c for c in self.required if entry.data.get(c.name) in (None, "")]
            if missing:
                names = "、".join(str(lazy(c.label)) for c in missing)
                raise validators.ValidationError(
                    str(lazy_tr(f"第 {i} 行缺少:{names}", f"Row {i} lacks: {names}"))
                )


class RowsRequired:
    """At least one row is filled in."""

    def __call__(self, form: Any, field: Any) -> None:
        if not any(_row_filled(e.data) for e in field.entries):
            raise validators.StopValidation(str(lazy_tr("此项必填", "This field is required")))


def _rows_field(fd: FieldDef, strict: bool) -> RowsField:
    # Inside a row every column is optional: RowsComplete requires the required columns only
    # in rows that are filled in, so that the empty row offered for a new entry passes.
    row_form = type(
        f"{fd.name.title()}Row",
        (Form,),
        {c.name: _wtf_field(c, strict=False) for c in fd.columns},
    )
    checks: list[Any] = [RowsComplete(fd.columns)]
    if fd.required and strict:
        checks.insert(0, RowsRequired())
    return RowsField(
        FormField(row_form),
        label=lazy(fd.label),
        description=lazy(fd.help) if fd.help else "",
        validators=checks,
        max_entries=fd.max_rows,
    )


#: At most this many remarks in one "remarks" value (a form has fewer fields than that).
MAX_REMARKS = 100


class RemarksWidget:
    """One text box per field that may be remarked on, in a list the reader may fold away."""

    def __call__(self, field: RemarksField, **kwargs: Any) -> Markup:
        """Render the boxes; remarks typed for fields not offered are shown too (nothing lost)."""
        fid = kwargs.get("id") or field.id
        choices = list(field.choices)
        offered = {name for name, _label in choices}
        choices += [(name, name) for name in field.data if name not in offered]
        boxes = Markup("").join(
            Markup(
                '<div class="mb-2" data-remark-field="{name}">'
                '<label class="form-label small mb-0" for="{box}">{label}</label>'
                '<textarea class="form-control form-control-sm" rows="2" id="{box}" '
                'name="{input}">{text}</textarea></div>'
            ).format(
                name=name,
                box=f"{fid}-{name}",
                label=label,
                input=f"{field.name}-{name}",
                text=field.data.get(name, ""),
            )
            for name, label in choices
        )
        described = kwargs.get("aria-describedby") or kwargs.get("aria_describedby")
        return Markup(
            '<details class="border rounded px-2 py-1" id="{}"{}{}>{}{}</details>'
        ).format(
            fid,
            Markup(" open") if field.data or field.errors else "",
            Markup(' aria-describedby="{}"').format(described) if described else "",
            Markup('<summary class="small">{}</summary>').format(
                lazy_tr("逐项填写(可选,展开)", "Per field (optional; open)")
            ),
            boxes,
        )


class RemarksField(Field):
    """Remarks on the fields of another form (the nominee's): ``{field name: text}``.

    Posted as one ``<name>-<field>`` input per field; empty ones are dropped. The view that
    knows the other form sets ``choices`` (field name, label); without them (the JSON API) only
    the shape is checked here, and the names by whoever knows the other form.
    """

    widget = RemarksWidget()

    def __init__(
        self,
        label: Any = None,
        validators: Any = None,
        max_length: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(label, validators, **kwargs)
        self.max_length = max_length
        self.choices: list[tuple[str, Any]] = []

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Collect the ``<name>-<field>`` inputs that are filled in."""
        self.process_errors = []
        self.object_data = data
        self.data: dict[str, str] = dict(data) if isinstance(data, dict) else {}
        if formdata is None:
            return
        prefix = f"{self.name}-"
        self.data = {}
        for key, value in formdata.items(multi=True):
            if key.startswith(prefix) and isinstance(value, str) and value.strip():
                self.data[key.removeprefix(prefix)] = value.strip()
        self.raw_data = list(self.data.values())

    def pre_validate(self, form: Any) -> None:
        """Refuse remarks on fields not offered, and remarks that are too long."""
        offered = dict(self.choices)
        if len(self.data) > MAX_REMARKS:
            raise validators.ValidationError(
                lazy_tr(f"最多 {MAX_REMARKS} 项", f"At most {MAX_REMARKS} remarks")
            )
        for name, text in self.data.items():
            if not name.isidentifier() or (offered and name not in offered):
                shown = name[:64]
                raise validators.ValidationError(
                    lazy_tr(f"没有这一项:{shown}", f"No such field: {shown}")
                )
            if self.max_length is not None and len(text) > self.max_length:
                label = offered.get(name, name)
                raise validators.ValidationError(
                    lazy_tr(
                        f"“{label}”的意见不能超过 {self.max_length} 字(现为 {len(text)} 字)",
                        f"The remark on “{label}”: at most {self.max_length} characters "
                        f"(now {len(text)})",
                    )
                )


def _wtf_field(fd: FieldDef, strict: bool) -> Field:
    if fd.type == "rows":
        return _rows_field(fd, strict)
    if fd.type == "remarks":
        # No Optional() in the chain: it would clear what pre_validate found.
        return RemarksField(
            label=lazy(fd.label),
            description=lazy(fd.help) if fd.help else "",
            max_length=fd.max_length,
        )
    checks: list[Any] = []
    if fd.required and strict:
        checks.append(
            validators.InputRequired(message=lazy_tr("此项必填", "This field is required"))
            if fd.type != "boolean"
            else validators.Optional()
        )
    else:
        checks.append(validators.Optional())
    if fd.min_length is not None or fd.max_length is not None:
        checks.append(CharCount(fd.min_length, fd.max_length))
    if fd.type in _TYPE_VALIDATORS:
        checks.append(_TYPE_VALIDATORS[fd.type]())
    checks.extend(NAMED_VALIDATORS[v]() for v in fd.validators)
    kwargs: dict[str, Any] = {
        "label": lazy(fd.label),
        "validators": checks,
        "description": lazy(fd.help) if fd.help else "",
    }
    if fd.type == "textarea":
        return TextAreaField(**kwargs)
    if fd.type == "date":
        return DateField(**kwargs)
    if fd.type == "integer":
        if fd.minimum is not None or fd.maximum is not None:
            checks.append(validators.NumberRange(min=fd.minimum, max=fd.maximum))
        return IntegerField(**kwargs)
    if fd.type == "choice":
        choices = [SelectChoice("", lazy({"zh": "请选择", "en": "Choose"}))] + [
            SelectChoice(v, lazy(lab)) for v, lab in fd.choices
        ]
        # Optional() stops the chain on an empty value, so "" never reaches pre_validate.
        return SelectField(choices=choices, validate_choice=True, **kwargs)
    if fd.type == "boolean":
        return BooleanField(**kwargs)
    if fd.type == "phone":
        return PhoneField(**kwargs)
    return StringField(**kwargs)


# Form definitions are compared by identity: each pinned version is loaded once and kept.
@cache
def _form_class(defn: FormDef, strict: bool, base: type) -> type:
    attrs = {f.name: _wtf_field(f, strict) for f in defn.fields}
    return type(f"{defn.name.title()}Form", (base,), attrs)


def form_class(defn: FormDef, *, strict: bool = True, base: type = Form) -> type:
    """Return the WTForms class for ``defn``; ``strict=False`` lets required fields be empty."""
    return _form_class(defn, strict, base)


def clean_data(defn: FormDef, form: Form) -> dict[str, Any]:
    """Return the validated form's values as JSON-ready data (dates as ISO strings)."""
    out: dict[str, Any] = {}
    for fd in defn.fields:
        if fd.type == "remarks":
            # A view may leave remarks out of a form where they serve nothing (not a return).
            remarks = form[fd.name].data if fd.name in form else None
            if remarks:
                out[fd.name] = dict(remarks)
            continue
        value = form[fd.name].data
        if fd.type == "rows":
            # _wtf_field makes each "rows" field a RowsField, a FieldList.
            entries = cast(FieldList, form[fd.name]).entries
            rows = [_clean_row(fd, entry) for entry in entries]
            rows = [r for r in rows if r]
            if rows:
                out[fd.name] = rows
            continue
        if isinstance(value, date):
            value = value.isoformat()
        if fd.type in ("text", "textarea", "choice") and isinstance(value, str):
            value = value.strip()
        if value in ("", None) and fd.type != "boolean":
            continue
        out[fd.name] = value
    return out


def _clean_row(fd: FieldDef, entry: Any) -> dict[str, Any]:
    """Return one row's values as JSON-ready data; empty when nothing was filled in."""
    row: dict[str, Any] = {}
    for c in fd.columns:
        value = entry.form[c.name].data
        if isinstance(value, date):
            value = value.isoformat()
        if isinstance(value, str):
            value = value.strip()
        if value not in ("", None):
            row[c.name] = value
    return row


def to_formdata(defn: FormDef, data: dict[str, Any]) -> MultiDict:
    """Turn JSON data into the form data WTForms reads (so the API validates like the web)."""
    md: MultiDict = MultiDict()
    for fd in defn.fields:
        value = data.get(fd.name)
        if value is None:
            continue
        if fd.type == "boolean":
            if value is True or value in ("true", "y", "1", 1):
                md.add(fd.name, "y")
            continue
        if fd.type == "rows":
            # Rows are sent as <field>-<i>-<column>, as the web form's inputs are named; a
            # value that is not a list of objects is refused by validate() first.
            for i, row in enumerate(value if isinstance(value, list) else []):
                for column, cell in (row if isinstance(row, dict) else {}).items():
                    if cell is not None:
                        md.add(f"{fd.name}-{i}-{column}", str(cell))
            continue
        if fd.type == "remarks":
            # One <field>-<name> input per remark, as the web form posts them; a value that is
            # not an object of texts is refused by validate() first.
            for name, text in (value if isinstance(value, dict) else {}).items():
                if isinstance(text, str):
                    md.add(f"{fd.name}-{name}", text)
            continue
        if fd.type == "phone":
            # The form shows the number as people write it; its validator stores E.164 again.
            md.add(fd.name, phone_as_written(str(value)))
            continue
        md.add(fd.name, str(value))
    return md


def validate(
    defn: FormDef, data: dict[str, Any], *, strict: bool = True
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate JSON ``data``; return (clean data, errors by field name)."""
    form = form_class(defn, strict=strict)(formdata=to_formdata(defn, data))
    unknown = sorted(set(data) - {f.name for f in defn.fields})
    errors: dict[str, list[str]] = {}
    if not form.validate():
        errors = {name: _messages(errs) for name, errs in form.errors.items()}
    for fd in defn.fields:
        if fd.type == "rows" and fd.name in data:
            errors.update(_rows_shape(fd, data[fd.name]))
        if fd.type == "remarks" and data.get(fd.name) is not None:
            errors.update(_remarks_shape(fd, data[fd.name]))
    for name in unknown:
        errors[name] = [str(lazy_tr("未知字段", "Unknown field"))]
    return (clean_data(defn, form) if not errors else {}), errors


def _messages(errs: Any) -> list[str]:
    """Flatten WTForms errors (a rows field nests them per row and column) into messages."""
    if isinstance(errs, dict):
        return [m for v in errs.values() for m in _messages(v)]
    if isinstance(errs, list | tuple):
        return [m for v in errs for m in _messages(v)]
    return [str(errs)]


def _remarks_shape(fd: FieldDef, value: Any) -> dict[str, list[str]]:
    """Return the error of a remarks value sent as JSON that is not {field name: text}."""
    if not isinstance(value, dict) or not all(isinstance(t, str) for t in value.values()):
        return {
            fd.name: [
                str(
                    lazy_tr(
                        "应为 {字段名: 意见} 的对象", "Must be an object of {field name: remark}"
                    )
                )
            ]
        }
    return {}


def _rows_shape(fd: FieldDef, value: Any) -> dict[str, list[str]]:
    """Return the error of a rows value sent as JSON that is not a list of known columns."""
    names = {c.name for c in fd.columns}
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        return {fd.name: [str(lazy_tr("应为行的列表", "Must be a list of rows"))]}
    if fd.max_rows is not None and len(value) > fd.max_rows:
        return {fd.name: [str(lazy_tr(f"最多 {fd.max_rows} 行", f"At most {fd.max_rows} rows"))]}
    unknown = sorted({k for r in value for k in r} - names)
    if unknown:
        return {fd.name: [str(lazy_tr("未知的列:", "Unknown columns: ")) + ", ".join(unknown)]}
    return {}


def missing_required(defn: FormDef, data: dict[str, Any]) -> list[FieldDef]:
    """Return the required fields that ``data`` leaves empty."""
    return [
        f
        for f in defn.fields
        if f.required and f.type != "boolean" and data.get(f.name) in (None, "", [])
    ]
