"""Imports every model module so the metadata (and Alembic) sees all tables."""

from app.accounts import models as accounts_models  # noqa: F401
from app.api import models as api_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.blobs import models as blobs_models  # noqa: F401
from app.cases import models as cases_models  # noqa: F401
from app.collect import models as collect_models  # noqa: F401
from app.erasure import models as erasure_models  # noqa: F401
from app.exports import models as exports_models  # noqa: F401
from app.jobs import models as jobs_models  # noqa: F401
from app.mail import models as mail_models  # noqa: F401
from app.orgs import models as orgs_models  # noqa: F401
from app.portability import models as portability_models  # noqa: F401
from app.recipients import models as recipients_models  # noqa: F401
from app.rectification import models as rectification_models  # noqa: F401
from app.register import models as register_models  # noqa: F401
from app.restriction import models as restriction_models  # noqa: F401
from app.review import models as review_models  # noqa: F401
from app.rights import models as rights_models  # noqa: F401
from app.sources.access_log import models as access_log_models  # noqa: F401
from app.sources.consent import models as consent_models  # noqa: F401
from app.sources.contacts import models as contacts_models  # noqa: F401
from app.sources.correspondence import models as correspondence_models  # noqa: F401
from app.sources.employees import models as employees_models  # noqa: F401
from app.sources.helpdesk import models as helpdesk_models  # noqa: F401
from app.sources.pupils import models as pupils_models  # noqa: F401
