"""The access log of a response pack's downloads (DESIGN §6, §8).

A download of a pack's PDF or zip hands over every record confirmed as the
subject's, so like every look at personal data it leaves one access-log line
per such record (action "export"), written in the transaction of the
download's audit event. The person's next request then shows who took their
whole record away, and when.

Who downloaded: a member of staff signed in to the console or the API (a
school's own staff as "school_user", ours as "rights_desk": the kind is
``app.collect.looks.actor_kind_for``, as for every look),
or whoever opened a download link with its code. That holder is not signed
in, so the line names whom the link was sent to, and its kind says it came
through a link: the school's data protection contact or the requester.
"""

from __future__ import annotations

from app.accounts.models import User
from app.cases.models import Case
from app.collect.looks import actor_kind_for, subject_records, write_access_log
from app.exports.models import DownloadLink, LinkAudience
from app.orgs.models import Organisation

ACTION = "export"
PACK_AREA = "rights_desk.response_pack"
# ``AccessLogEntry.actor_kind`` for the holder of a download link, by audience.
LINK_SCHOOL_CONTACT = "link_school_contact"
LINK_REQUESTER = "link_requester"
LINK_CONTROLLER = "link_controller"  # the organisation a portability requester named
LINK_ACTOR_KINDS: dict[LinkAudience, str] = {
    LinkAudience.SCHOOL: LINK_SCHOOL_CONTACT,
    LinkAudience.REQUESTER: LINK_REQUESTER,
    LinkAudience.CONTROLLER: LINK_CONTROLLER,
}
# The name logged when the one the link was sent to is no longer known.
_UNNAMED: dict[LinkAudience, str] = {
    LinkAudience.SCHOOL: "The school's data protection contact",
    LinkAudience.REQUESTER: "The requester",
    LinkAudience.CONTROLLER: "The organisation the requester named",
}


def log_staff_download(case: Case, user: User) -> int:
    """A signed-in user downloaded a file of the case's pack; returns the
    lines written."""
    return write_access_log(
        subject_records(case),
        actor_kind=actor_kind_for(user),
        actor_name=user.name,
        actor_email=user.email,
        action=ACTION,
        area=PACK_AREA,
    )


def log_link_download(case: Case, link: DownloadLink) -> int:
    """A file was downloaded through ``link``; returns the lines written."""
    return write_access_log(
        subject_records(case),
        actor_kind=LINK_ACTOR_KINDS[link.audience],
        actor_name=_sent_to(case, link) or _UNNAMED[link.audience],
        actor_email=link.recipient_email,
        action=ACTION,
        area=PACK_AREA,
    )


def _sent_to(case: Case, link: DownloadLink) -> str | None:
    if link.audience is LinkAudience.CONTROLLER:
        return link.recipient_name
    if link.audience is LinkAudience.REQUESTER:
        return case.requester_name
    organisation: Organisation = case.organisation
    # The contact's name only while it is still the address the link went to.
    if link.recipient_email and organisation.dp_contact_email.casefold() == link.recipient_email.casefold():
        return organisation.dp_contact_name
    return None
