// Command check verifies a C2SP tlog-tiles archive with golang.org/x/mod/sumdb/{note,tlog}, an
// implementation independent of the registry's, as tests/audit/test_tiles_interop.py runs it:
//
//	go run check.go DIR VERIFIER_KEY
//
// It opens the signed checkpoint, reads the hash tiles through tlog.TileHashReader (which proves every
// tile it loads against the checkpoint's root), checks that every entry of every bundle hashes to its
// leaf hash, and checks inclusion proofs built from the tiles. Exit 0 and "OK <size> <root>": valid.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

type dirTiles struct{ dir string }

// tlog names tiles "tile/8/<L>/..." and "tile/8/data/..."; tlog-tiles drops the height and says "entries".
func (d dirTiles) path(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", height))
	if t.L == -1 {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return filepath.Join(d.dir, "tile", p)
}

func (d dirTiles) Height() int { return height }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(d.path(t))
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", d.path(t), len(data), t.W*tlog.HashSize)
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: check DIR VERIFIER_KEY")
	}
	dir, vkey := os.Args[1], os.Args[2]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint body too short")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		fail("checkpoint root hash: %v", err)
	}
	var root tlog.Hash
	copy(root[:], raw)

	tiles := dirTiles{dir}
	hr := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, tiles)
	got, err := tlog.TreeHash(size, hr)
	if err != nil {
		fail("tree hash from the tiles: %v", err)
	}
	if got != root {
		fail("tiles hash to %v, checkpoint says %v", got, root)
	}

	for start := int64(0); start < size; start += 1 << height {
		w := size - start
		if w > 1<<height {
			w = 1 << height
		}
		t := tlog.Tile{H: height, L: -1, N: start >> height, W: int(w)}
		data, err := os.ReadFile(tiles.path(t))
		if err != nil {
			fail("%v", err)
		}
		indexes := make([]int64, w)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, start+int64(i))
		}
		leaves, err := hr.ReadHashes(indexes)
		if err != nil {
			fail("leaf hashes %d..%d: %v", start, start+w-1, err)
		}
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				fail("%s: truncated at entry %d", tiles.path(t), i)
			}
			l := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+l {
				fail("%s: entry %d runs past the end", tiles.path(t), i)
			}
			if tlog.RecordHash(data[2:2+l]) != leaves[i] {
				fail("%s: entry %d does not hash to leaf %d", tiles.path(t), i, start+i)
			}
			data = data[2+l:]
		}
		if len(data) != 0 {
			fail("%s: %d bytes after the last entry", tiles.path(t), len(data))
		}
	}

	for _, i := range []int64{0, size / 3, size / 2, size - 1} {
		proof, err := tlog.ProveRecord(size, i, hr)
		if err != nil {
			fail("inclusion proof of %d: %v", i, err)
		}
		leaf, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil {
			fail("leaf %d: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, size, root, i, leaf[0]); err != nil {
			fail("inclusion proof of %d: %v", i, err)
		}
	}
	fmt.Printf("OK %d %s\n", size, lines[2])
}
