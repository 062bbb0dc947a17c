"""docs/bridge.md lists the methods exactly as `rpc.discover` describes them (run
`python -m bridge.docgen` after changing a method)."""

from bridge import docgen


def test_the_method_list_is_generated_from_rpc_discover():
    document = docgen.discover()
    text = docgen.DOC.read_text(encoding="utf-8")
    assert docgen.current(text) == docgen.block(document), "run python -m bridge.docgen"
    for method in document["methods"]:
        assert f"| `{method['name']}` |" in text
