import pytest
from sqlalchemy import text

from app.audit.models import AuditEvent
from app.audit.services import AuditDataError, record, verify_chain
from app.db import new_uuid


def test_record_links_each_event_to_the_previous_one(db_session):
    first = record("case.created", object_type="case", object_id=new_uuid())
    second = record("case.status_changed", data={"to": "open"})
    db_session.commit()
    assert first.seq == 1 and second.seq == 2
    assert second.prev_hash == first.hash
    assert verify_chain().intact


def test_record_refuses_free_text_in_data(db_session):
    with pytest.raises(AuditDataError, match="data.name"):
        record("case.created", data={"name": "Jane Smith"})
    with pytest.raises(AuditDataError):
        record("case.created", data={"email": "jane@example.org"})
