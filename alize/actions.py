"""The actions of the access policy: the vocabulary every layer asks the policy about.

Which role grants which action, and where, is decided by the policy itself
(``dispositifs.access``); this module only names the actions.
"""

from enum import StrEnum


class Action(StrEnum):
    """What a person may do in a dispositif."""

    VIEW_DISPOSITIF = "view_dispositif"  # the dispositif's page and tour de table
    VIEW_COMPANY = "view_company"  # the SMEs of the pipeline
    VIEW_PROJECT = "view_project"  # project dossiers, their timeline and jobs follow-up
    VIEW_COMMITTEE = "view_committee"  # committees, agendas, commitments and decisions
    MANAGE = "manage"  # run the pipeline and committees; read personal data
    RECORD_COMMITMENT = "record_commitment"  # record one's organisation's tools at committee
    DECLARE_INTEREST = "declare_interest"  # declare an organisation's interest in a dossier
    REPLY_INVITATION = "reply_invitation"  # answer a committee's invitation; calendar feed
    SCORE_DOSSIER = "score_dossier"  # score a coming committee's dossiers (the scoring grid)
    MANAGE_NETWORK = "manage_network"  # create and change dispositifs (national)
    VIEW_DIRECTORY = "view_directory"  # the organisations directory
    MANAGE_DIRECTORY = "manage_directory"  # change organisations (national)
    VIEW_MISSION = "view_mission"  # skill missions and their hour logs
    RESPOND_MISSION = "respond_mission"  # a firm accepts, declines, assigns; manages experts
    LOG_HOURS = "log_hours"  # an expert logs hours on their own missions
    VIEW_ADVANCE = "view_advance"  # funds, advances, schedules, repayments, co-financing
    MANAGE_ADVANCE = "manage_advance"  # funds, contributions, contract, disburse, reschedule
    RECORD_REPAYMENT = "record_repayment"  # record and reverse repayments
    APPROVE_WRITE_OFF = "approve_write_off"  # approve a write-off someone else proposed
    # Documents (reporting): a dispositif's agendas, minutes and reports, a firm's
    # contribution statement, national reports. Firm documents reach the firm's
    # correspondent through ``Reach.FIRM_DOCUMENTS`` (``dispositifs.access
    # .document_firm_ids``).
    VIEW_DOCUMENT = "view_document"  # read and download documents
    REQUEST_DOCUMENT = "request_document"  # ask for a document to be built
    # The indicators dashboard: a dispositif's kept figures, never its rows (a firm's
    # correspondent reads only the firm's own figures there, ``Reach.FIRM``).
    VIEW_INDICATORS = "view_indicators"
    # Personal data (docs/personal-data.md): find a person across the network, export what
    # is held about them, erase it (national coordination only).
    MANAGE_PERSONAL_DATA = "manage_personal_data"
