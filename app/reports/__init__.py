"""The DPO's overview: the dashboard figures and the request register."""
