"""Art 19: telling the recipients of a subject's data about a rectification,
an erasure or a restriction, and telling the requester who they were."""
