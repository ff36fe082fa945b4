import base64

import pytest

from registry.audit.merkle import leaf_hash, root_from_leaf_hashes
from registry.audit.note import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    NoteError,
    Signer,
    Verifier,
    cosignature_timestamp,
    generate_cosigner,
    generate_signer,
    key_id,
    open_note,
    open_note_detailed,
    parse_note,
    sign_note,
    verify_cosignature,
)

# Example from the package doc of golang.org/x/mod/sumdb/note (github.com/golang/mod,
# sumdb/note/note.go). Ed25519 is deterministic, so signing must reproduce it byte for byte.
PN_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PN_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PN_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PN_SIG = (
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
PN_NOTE = PN_TEXT + "\n" + PN_SIG
ENOCH_SIG = (
    "\u2014 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# Verifier keys from github.com/transparency-dev/formats, note/note_cosigv1_test.go
# (TestCoSigV1NewVerifier): a type-0x01 key and a native type-0x04 witness key.
TD_ED25519_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
TD_COSIG_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"

# Example checkpoint with a cosignature from c2sp.org/tlog-cosignature (github.com/C2SP/C2SP,
# tlog-cosignature.md); its signed message shows "time 1679315147".
C2SP_COSIGNED = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def test_go_vector_signs_and_verifies():
    signer = Signer(PN_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert signer.verifier_key == PN_VKEY
    assert signer.sign(PN_TEXT) == PN_SIG
    assert sign_note(PN_TEXT, [signer]) == PN_NOTE
    assert open_note(PN_NOTE, [Verifier(PN_VKEY)]) == (PN_TEXT, ["PeterNeumann"])


def test_go_vector_with_unknown_cosigner_is_ignored():
    opened = open_note_detailed(PN_NOTE + ENOCH_SIG, [Verifier(PN_VKEY)])
    assert opened.body == PN_TEXT
    assert opened.names == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["EnochRoot"]
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(PN_TEXT + "\n" + ENOCH_SIG, [Verifier(PN_VKEY)])


def test_key_id_vectors():
    v = Verifier(PN_VKEY)
    assert key_id("PeterNeumann", 0x01, v.public_key) == 0xC74F20A3
    assert Verifier(TD_ED25519_VKEY).key_id == 0x7997405C
    assert CosignatureVerifier(TD_COSIG_VKEY).key_id == 0xDA77ADE7
    # A 0x01 key used for cosigning gets its id recomputed with type 0x04.
    cv = CosignatureVerifier(TD_ED25519_VKEY)
    assert cv.key_id == key_id("TEST", 0x04, cv.public_key) != 0x7997405C


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # upper-case hex
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in name
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # bad base64
        "PeterNeumann+c74f20a3",
        TD_COSIG_VKEY,  # a witness key is not a note signing key
    ],
)
def test_bad_verifier_keys(vkey):
    with pytest.raises(NoteError):
        Verifier(vkey)


def test_bad_signer_keys():
    with pytest.raises(NoteError):
        Signer(PN_VKEY)
    with pytest.raises(NoteError):
        Signer(PN_SKEY.replace("c74f20a3", "c74f20a4"))


def test_round_trip_generated_key():
    skey, vkey = generate_signer("registry.example/log")
    assert skey.startswith("PRIVATE+KEY+registry.example/log+")
    s = Signer(skey)
    assert s.verifier_key == vkey
    note = sign_note("hello\n\nworld\n", [s])
    assert open_note(note, [Verifier(vkey)]) == ("hello\n\nworld\n", ["registry.example/log"])
    with pytest.raises(NoteError):
        generate_signer("bad+name")


def test_tampering_is_detected():
    v = Verifier(PN_VKEY)
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(PN_NOTE.replace("answer", "Answer"), [v])
    raw = bytearray(base64.b64decode(PN_SIG.split()[2]))
    raw[10] ^= 1
    forged = PN_TEXT + "\n\u2014 PeterNeumann " + base64.b64encode(raw).decode() + "\n"
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(forged, [v])
    other = Verifier(generate_signer("PeterNeumann")[1])
    with pytest.raises(NoteError, match="no signature from a known key"):
        open_note(PN_NOTE, [other])


@pytest.mark.parametrize(
    "text",
    [
        PN_TEXT + PN_SIG,  # no blank line
        PN_TEXT + "\n" + PN_SIG[:-1],  # signature block without final newline
        PN_TEXT + "\n",  # no signatures
        PN_TEXT.rstrip("\n") + "\n" + PN_SIG.replace("\u2014", "-"),
        PN_TEXT.replace("\n", "\r\n", 1) + "\n" + PN_SIG,  # control character
        PN_TEXT + "\n" + PN_SIG.replace("AM=", "AM"),  # bad padding
        PN_TEXT + "\n\u2014 PeterNeumann\n",
        b"\xff\n\n" + PN_SIG.encode(),  # invalid UTF-8
    ],
)
def test_malformed_notes(text):
    with pytest.raises(NoteError):
        open_note(text, [Verifier(PN_VKEY)])


def test_body_must_end_with_newline():
    with pytest.raises(NoteError, match="newline"):
        sign_note("no newline", [Signer(PN_SKEY)])
    with pytest.raises(NoteError, match="control"):
        sign_note("tab\there\n", [Signer(PN_SKEY)])


def test_duplicate_signatures():
    v = Verifier(PN_VKEY)
    assert sign_note(PN_TEXT, [Signer(PN_SKEY), Signer(PN_SKEY)]) == PN_NOTE
    assert open_note(PN_NOTE + PN_SIG, [v]) == (PN_TEXT, ["PeterNeumann"])
    opened = open_note_detailed(PN_NOTE + ENOCH_SIG + ENOCH_SIG, [v])
    assert len(opened.verified) == 1 and len(opened.unverified) == 1
    # A bad duplicate cannot hide behind a good first signature.
    bad = PN_SIG.replace("AM=", "AA=")
    with pytest.raises(NoteError):
        open_note(PN_NOTE + bad, [v])
    with pytest.raises(NoteError, match="too many"):
        open_note(PN_NOTE + ENOCH_SIG * 100, [v])


def test_rotation_two_keys_same_name():
    name = "registry.example/log"
    old_s, old_v = generate_signer(name)
    new_s, new_v = generate_signer(name)
    note = sign_note("tree head\n", [Signer(old_s), Signer(new_s)])
    opened = open_note_detailed(note, [Verifier(old_v), Verifier(new_v)])
    assert {s.key_id for s in opened.verified} == {Signer(old_s).key_id, Signer(new_s).key_id}
    assert opened.names == [name]
    # Clients that know only one of the keys still accept the note.
    assert open_note(note, [Verifier(old_v)])[1] == [name]
    assert open_note(note, [Verifier(new_v)])[1] == [name]


def test_checkpoint_round_trip():
    root = root_from_leaf_hashes([leaf_hash(b"a"), leaf_hash(b"b")])
    cp = Checkpoint("registry.example/log", 2, root)
    body = cp.body()
    assert body == f"registry.example/log\n2\n{base64.b64encode(root).decode()}\n"
    assert Checkpoint.parse(body) == cp
    ext = Checkpoint("o", 0, root, ("ext one", "ext two"))
    assert Checkpoint.parse(ext.body()) == ext
    c2sp = Checkpoint.parse(parse_note(C2SP_COSIGNED)[0])
    assert (c2sp.origin, c2sp.size) == ("example.com/behind-the-sofa", 20852163)


@pytest.mark.parametrize(
    "body",
    [
        "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # leading zero
        "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n\u0661\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # non-ASCII digit
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",  # wrong length
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  # non-canonical base64
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",  # no trailing newline
        "o\n1\n",
        "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",  # empty origin
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",  # empty extension
    ],
)
def test_checkpoint_parse_is_strict(body):
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_cosignature_round_trip():
    log = Signer(generate_signer("registry.example/log")[0])
    wskey, wvkey = generate_cosigner("witness.example/w1")
    assert base64.b64decode(wvkey.split("+", 2)[2])[0] == 0x04
    witness = CosignatureSigner(wskey)
    assert witness.verifier_key == wvkey
    body = Checkpoint("registry.example/log", 5, bytes(32)).body()
    signed = sign_note(body, [log])
    line = witness.cosign(body, 1_700_000_000)
    cosigned = signed + line
    assert verify_cosignature(cosigned, wvkey) == 1_700_000_000
    # The log key and the witness key verify together in one pass.
    assert open_note(cosigned, [log.verifier(), witness.verifier()])[1] == [
        "registry.example/log",
        "witness.example/w1",
    ]
    sig = parse_note(cosigned)[1][1]
    assert sig.key_id == witness.key_id and len(sig.signature) == 8 + 64
    assert cosignature_timestamp(sig) == 1_700_000_000
    # The timestamp is signed: changing it breaks the signature.
    raw = bytearray(base64.b64decode(line.split()[2]))
    raw[11] ^= 1
    with pytest.raises(NoteError, match="invalid signature"):
        verify_cosignature(
            signed + "\u2014 witness.example/w1 " + base64.b64encode(raw).decode() + "\n", wvkey
        )
    with pytest.raises(NoteError, match="invalid signature"):
        verify_cosignature(cosigned.replace("\n5\n", "\n6\n"), wvkey)
    with pytest.raises(NoteError, match="no signature from a known key"):
        verify_cosignature(signed, wvkey)


def test_cosigner_from_plain_ed25519_key():
    skey, vkey = generate_signer("witness.example/w2")
    witness = CosignatureSigner(skey)
    assert witness.key_id != Signer(skey).key_id
    body = Checkpoint("log", 1, bytes(32)).body()
    note = sign_note(body, [Signer(skey)]) + witness.cosign(body, 42)
    assert verify_cosignature(note, vkey) == 42
    assert verify_cosignature(note, witness.verifier_key) == 42


def test_cosign_rejects_non_checkpoint():
    witness = CosignatureSigner(generate_cosigner("w")[0])
    with pytest.raises(NoteError):
        witness.cosign("just one line\n", 1)
    with pytest.raises(NoteError):
        witness.cosign(Checkpoint("log", 1, bytes(32)).body(), -1)


def test_c2sp_cosignature_timestamp():
    sig = parse_note(C2SP_COSIGNED)[1][1]
    assert sig.name == "witness.example.com/w1"
    assert cosignature_timestamp(sig) == 1679315147
