"""`gen studio`: a local web app to browse runs, sample (text streams in; tunes come back as scores
and sound) and look inside a model. Starlette routes in app.py; model work in runs.py, sampling.py,
scores.py and inside.py; the page itself is static/ (our own small JS and CSS, no framework)."""
