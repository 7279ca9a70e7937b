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
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    Field,
    Form,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    validators,
)

from nomination.db import local_today
from nomination.i18n import lazy
from nomination.paths import data_dir

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
)


class DefinitionError(Exception):
    """A definition file is wrong; the message names the file and the entry."""


def _msg(zh: str, en: str) -> Any:
    return lazy({"zh": zh, "en": en})


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
                _msg(
                    "身份证号码无效(请检查位数和校验码)",
                    "Invalid resident ID number (length or check digit)",
                )
            ) from None
        fld.data = number
        birth = getattr(form, "birth_date", None)
        if birth is not None and birth.data and ric.get_birth_date(number) != birth.data:
            raise validators.ValidationError(
                _msg("身份证号码与出生日期不符", "The ID number does not match the date of birth")
            )
        gender = getattr(form, "gender", None)
        if gender is not None and gender.data in ("male", "female"):
            is_male = int(number[16]) % 2 == 1
            if is_male != (gender.data == "male"):
                raise validators.ValidationError(
                    _msg("身份证号码与性别不符", "The ID number does not match the gender")
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
                _msg("统一社会信用代码无效", "Invalid unified social credit code")
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
            raise validators.ValidationError(_msg("电话号码无效", "Invalid phone number"))
        fld.data = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
                _msg("电子邮件地址无效", "Invalid e-mail address")
            ) from None


class NotInFuture:
    """A date that is not after today."""

    def __call__(self, form: Form, fld: Field) -> None:
        """Refuse dates after today."""
        if fld.data and fld.data > local_today():
            raise validators.ValidationError(
                _msg("日期不能晚于今天", "The date cannot be in the future")
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
                _msg(
                    f"不能超过 {self.maximum} 字(现为 {n} 字)",
                    f"At most {self.maximum} characters (now {n})",
                )
            )
        if self.minimum is not None and n < self.minimum:
            raise validators.ValidationError(
                _msg(
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
        return out

    def display(self, value: Any, language: str | None = None) -> str:
        """Return ``value`` as shown to people (choice labels, yes/no)."""
        from nomination.i18n import pick

        if value is None or value == "":
            return ""
        if self.type == "choice":
            return next((pick(lab, language) for v, lab in self.choices if v == value), str(value))
        if self.type == "boolean":
            return pick({"zh": "是", "en": "Yes"} if value else {"zh": "否", "en": "No"}, language)
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
        name, ftype = f.get("name"), f.get("type")
        if not name or not str(name).isidentifier():
            raise fail(entry, "a field needs a name that is an identifier")
        if name in seen:
            raise fail(entry, f"duplicate field {name!r}")
        seen.add(name)
        if ftype not in FIELD_TYPES:
            raise fail(entry, f"unknown type {ftype!r}; use one of {', '.join(FIELD_TYPES)}")
        label = f.get("label")
        if not isinstance(label, dict) or "zh" not in label or "en" not in label:
            raise fail(entry, "label needs zh and en")
        for v in f.get("validators", []):
            if v not in NAMED_VALIDATORS:
                raise fail(entry, f"unknown validator {v!r}")
        choices = tuple(
            (str(c["value"]), {"zh": c["zh"], "en": c["en"]}) for c in f.get("choices", [])
        )
        if ftype == "choice" and not choices:
            raise fail(entry, "a choice field needs choices")
        fields.append(
            FieldDef(
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
            )
        )
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
    """Return the raw content of the form called ``name``, checked."""
    path = (folder or forms_dir()) / f"{name}.toml"
    if not path.is_file():
        raise DefinitionError(f"{path}: no such form definition")
    return load_form_file(path).raw


def _wtf_field(fd: FieldDef, strict: bool) -> Field:
    checks: list[Any] = []
    if fd.required and strict:
        checks.append(
            validators.InputRequired(message=_msg("此项必填", "This field is required"))
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
        value = form[fd.name].data
        if isinstance(value, date):
            value = value.isoformat()
        if fd.type in ("text", "textarea", "choice") and isinstance(value, str):
            value = value.strip()
        if value in ("", None) and fd.type != "boolean":
            continue
        out[fd.name] = value
    return out


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
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    for name in unknown:
        errors[name] = [str(_msg("未知字段", "Unknown field"))]
    return (clean_data(defn, form) if not errors else {}), errors


def missing_required(defn: FormDef, data: dict[str, Any]) -> list[FieldDef]:
    """Return the required fields that ``data`` leaves empty."""
    return [
        f
        for f in defn.fields
        if f.required and f.type != "boolean" and data.get(f.name) in (None, "")
    ]
