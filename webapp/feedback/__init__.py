"""Beta feedback: the form (views.py, forms.py), its storage (store.py) and the staff
commands (cli.py: ``flask feedback export|stats|purge``)."""
