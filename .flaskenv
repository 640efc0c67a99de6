# Read by the flask command (python-dotenv) in this folder: `.venv/bin/flask ...` finds the app
# without any setting. Real settings go in the environment, never here.
FLASK_APP=webapp:create_app
