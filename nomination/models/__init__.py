"""The tables, re-exported so that ``from nomination.models import Nomination`` works."""

from nomination.models.archive import (
    ArchivePerson,
    HonourRecord,
    PersonService,
    PersonStatus,
    PersonVersion,
    Studio,
    StudioInspection,
    StudioMember,
)
from nomination.models.audit import AuditEvent, AuditHead
from nomination.models.calendar import CalendarYear
from nomination.models.campaigns import (
    Campaign,
    CampaignAward,
    CampaignJudge,
    DefinitionVersion,
    Quota,
    UnitBar,
)
from nomination.models.cases import ArchiveCase, ReturnItem, VerificationEntry, VerificationRound
from nomination.models.checkpoints import Checkpoint
from nomination.models.consultations import ConsultationRequest
from nomination.models.instance import InstanceSettings
from nomination.models.nominations import Attachment, Nomination, Objection
from nomination.models.notices import NoticeEntry
from nomination.models.notifications import Notification
from nomination.models.orgs import Organisation, Team
from nomination.models.pending import PendingForm
from nomination.models.selection import (
    SelectionEntry,
    SelectionMember,
    SelectionRecusal,
    SelectionRound,
    SelectionVote,
)
from nomination.models.users import ROLES, ApiToken, RecoveryCode, RoleAssignment, User

__all__ = [
    "ROLES",
    "ApiToken",
    "ArchiveCase",
    "ArchivePerson",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "CalendarYear",
    "Campaign",
    "CampaignAward",
    "CampaignJudge",
    "Checkpoint",
    "ConsultationRequest",
    "DefinitionVersion",
    "HonourRecord",
    "InstanceSettings",
    "Nomination",
    "NoticeEntry",
    "Notification",
    "Objection",
    "Organisation",
    "PendingForm",
    "PersonService",
    "PersonStatus",
    "PersonVersion",
    "Quota",
    "RecoveryCode",
    "ReturnItem",
    "RoleAssignment",
    "SelectionEntry",
    "SelectionMember",
    "SelectionRecusal",
    "SelectionRound",
    "SelectionVote",
    "Studio",
    "StudioInspection",
    "StudioMember",
    "Team",
    "UnitBar",
    "User",
    "VerificationEntry",
    "VerificationRound",
]
