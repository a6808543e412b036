package discovery

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// DefaultMaxFileSize is the largest file the runner reads. Deployment
// artifacts and specs are far smaller; anything bigger is a data dump or a
// build output, and reading it would only cost memory.
const DefaultMaxFileSize = 32 << 20

// skipDirs are directories never walked: version control metadata and
// vendored third-party trees, which describe other people's software.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "node_modules": true, "vendor": true}

// Skip is a file or directory the runner did not read, and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// walked is one regular file or directory found by walk.
type walked struct {
	path string // as reported: the argument joined with the part below it
	abs  string
	size int64
	dir  bool
}

// walk lists the files and directories under the given paths (files or
// directories), following symbolic links but never into a directory it is
// already inside, so a link loop ends with a skip instead of a hang.
func walk(paths []string, maxSize int64) (items []walked, skips []Skip, err error) {
	seen := map[string]bool{} // real paths of files already listed
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, nil, fmt.Errorf("discover: %w", err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, nil, fmt.Errorf("discover: %w", err)
		}
		w := &walker{maxSize: maxSize, seen: seen}
		if fi.IsDir() {
			w.dir(filepath.ToSlash(filepath.Clean(p)), abs, real, nil)
		} else {
			w.file(filepath.ToSlash(filepath.Clean(p)), abs, real, fi)
		}
		items = append(items, w.items...)
		skips = append(skips, w.skips...)
	}
	return items, skips, nil
}

type walker struct {
	maxSize int64
	seen    map[string]bool
	items   []walked
	skips   []Skip
}

func (w *walker) file(rel, abs, real string, fi fs.FileInfo) {
	if !fi.Mode().IsRegular() {
		return
	}
	if w.seen[real] {
		return
	}
	w.seen[real] = true
	if fi.Size() > w.maxSize {
		w.skips = append(w.skips, Skip{Path: rel, Reason: fmt.Sprintf("file too large: %d bytes, limit %d", fi.Size(), w.maxSize)})
		return
	}
	w.items = append(w.items, walked{path: rel, abs: abs, size: fi.Size()})
}

// dir walks one directory. stack holds the real paths of the directories
// it is inside, to recognise a link back to one of them.
func (w *walker) dir(rel, abs, real string, stack []string) {
	for _, s := range stack {
		if s == real {
			w.skips = append(w.skips, Skip{Path: rel, Reason: "symlink loop: points back to " + s})
			return
		}
	}
	if w.seen[real] {
		return // the same directory reached twice through links: read once
	}
	w.seen[real] = true
	stack = append(stack, real)
	w.items = append(w.items, walked{path: rel, abs: abs, dir: true})
	entries, err := os.ReadDir(abs)
	if err != nil {
		w.skips = append(w.skips, Skip{Path: rel, Reason: "cannot read directory: " + err.Error()})
		return
	}
	for _, e := range entries {
		name := e.Name()
		crel, cabs := rel+"/"+name, filepath.Join(abs, name)
		if rel == "." {
			crel = name
		}
		if e.IsDir() && skipDirs[name] {
			continue
		}
		fi, err := os.Stat(cabs) // follows links
		if err != nil {
			if e.Type()&fs.ModeSymlink != 0 {
				w.skips = append(w.skips, Skip{Path: crel, Reason: "broken or looping symlink: " + err.Error()})
			}
			continue
		}
		creal := filepath.Join(real, name)
		if e.Type()&fs.ModeSymlink != 0 {
			if creal, err = filepath.EvalSymlinks(cabs); err != nil {
				w.skips = append(w.skips, Skip{Path: crel, Reason: "broken or looping symlink: " + err.Error()})
				continue
			}
		}
		if fi.IsDir() {
			if skipDirs[name] {
				continue
			}
			w.dir(crel, cabs, creal, stack)
			continue
		}
		w.file(crel, cabs, creal, fi)
	}
}

// isBinary sniffs content: a NUL byte or mostly invalid UTF-8 in the first
// 8 KiB means the file is not text any agent could read.
func isBinary(data []byte) bool {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	bad := 0
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n == 1 && len(head) >= utf8.UTFMax {
			bad++
		}
		head = head[n:]
	}
	return bad > len(data[:min(len(data), 8192)])/10
}
