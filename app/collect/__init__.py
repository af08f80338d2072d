"""Identity matching and the gather (DESIGN §6): the DPO confirms which
records are the subject, then every source is collected in its own job."""
