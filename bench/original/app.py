"""A RE-CREATION of the LINUXtips course app's request path, written here from its documented contract, for
bench/bench.py to measure beside ours in the same run. It is NOT the course's code (not copied, not vendored).

What it keeps from the original (shared/reference/original-app.md), because that is what costs: Flask on the
same stack (scripts/requirements-original.txt), a redis-py client built from REDIS_HOST/REDIS_PORT at import,
`random.choice` per character over letters [+ digits] [+ punctuation], an unbounded `LPUSH senhas` per
password, `LRANGE senhas 0 9` for the list and the page, a prometheus_client Counter `senha_gerada_total`.
The page is a small inline Jinja template (compiled once, rendered by render_template like the original's
file template), lighter than the original's full page: if anything, this flatters it.
Run: `flask --app bench/original/app.py run` (as the course runs it) or `gunicorn -w 2 app:app` from this folder.
"""

import os
import random
import string

import redis
from flask import Flask, jsonify, render_template, request
from prometheus_client import Counter, generate_latest

app = Flask(__name__)
store = redis.Redis(host=os.environ.get("REDIS_HOST", "localhost"),
                    port=int(os.environ.get("REDIS_PORT", "6379")), decode_responses=True)
generated = Counter("senha_gerada", "Senhas geradas")  # exposed as senha_gerada_total

# compiled once, as render_template("index.html") caches the original's template
PAGE = app.jinja_env.from_string("""<!doctype html><html lang="pt-br"><head><meta charset="utf-8">
<title>Giropops Senhas</title></head><body><h1>Gerador de senhas</h1>
<ul>{% for s in senhas %}<li>{{ s.id }}: {{ s.senha }}</li>{% endfor %}</ul>
</body></html>""")


def make_password(length, digits, symbols):
    alphabet = string.ascii_letters + (string.digits if digits else "") + (string.punctuation if symbols else "")
    return "".join(random.choice(alphabet) for _ in range(length))


def last_ten():
    return [{"id": i + 1, "senha": s} for i, s in enumerate(store.lrange("senhas", 0, 9))]


@app.route("/api/gerar-senha", methods=["POST"])
def api_generate():
    body = request.get_json()
    password = make_password(int(body.get("tamanho", 8)), body.get("incluir_numeros", False),
                             body.get("incluir_caracteres_especiais", False))
    store.lpush("senhas", password)
    generated.inc()
    return jsonify({"senha": password})


@app.route("/api/senhas")
def api_list():
    return jsonify(last_ten())


@app.route("/")
def page():
    return render_template(PAGE, senhas=last_ten())


@app.route("/metrics")
def metrics():
    return generate_latest()
