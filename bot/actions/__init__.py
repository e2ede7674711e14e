"""Custom actions of the assistant (rasa_sdk), one module per feature.

`directory_client` is the only module that talks to the directory API.
"""
