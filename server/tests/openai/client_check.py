"""Drives the portal's /v1 with the official `openai` Python client, changed
only in `base_url` and `api_key`: list models, chat, stream, embeddings, and
the client's own error classes for a bad key and an unknown model.

Usage: client_check.py BASE_URL API_KEY   (exits non-zero on any failure)
"""

import sys

import openai
from openai import OpenAI


def main() -> None:
    base_url, api_key = sys.argv[1], sys.argv[2]
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    models = [m.id for m in client.models.list()]
    assert "simulator-chat" in models, models

    messages = [{"role": "user", "content": "Hello from the official client."}]
    reply = client.chat.completions.create(
        model="simulator-chat", messages=messages, max_tokens=5
    )
    assert reply.choices[0].message.content, reply
    assert reply.usage.completion_tokens == 5, reply.usage
    assert len(reply.choices[0].message.content.split(" ")) == 5

    text, usage = "", None
    stream = client.chat.completions.create(
        model="simulator-chat",
        messages=messages,
        max_tokens=6,
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
    assert len(text.split(" ")) == 6, text
    assert usage is not None and usage.completion_tokens == 6, usage

    vectors = client.embeddings.create(model="simulator-embed", input=["a b", "c"])
    assert len(vectors.data) == 2 and vectors.usage.prompt_tokens == 3, vectors

    try:
        client.chat.completions.create(model="no-such-model", messages=messages)
        raise AssertionError("an unknown model was served")
    except openai.NotFoundError as error:
        assert error.status_code == 404

    bad = OpenAI(base_url=base_url, api_key="lp_aaaaaaaaaaaa_" + "b" * 32, max_retries=0)
    try:
        bad.models.list()
        raise AssertionError("a bad key was accepted")
    except openai.AuthenticationError as error:
        assert error.status_code == 401

    print("openai client: models, chat, stream, embeddings and errors all passed")


if __name__ == "__main__":
    main()
