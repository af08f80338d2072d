"""The baseline for ``bench/intake.py``: the least a Flask app under gunicorn
can do for a request. One route, a short text answer, nothing else."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "ok"
