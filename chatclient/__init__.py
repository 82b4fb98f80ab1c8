"""The terminal chat client (`python cli.py chat`): a plain Socket.IO client.

Nothing here imports the server application; it talks to a server over HTTP
and Socket.IO like any other client.
"""
