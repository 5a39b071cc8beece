"""The page to try segrefiner in a browser: ``segrefiner serve`` (needs the ``serve`` extra:
starlette, uvicorn, python-multipart)."""
