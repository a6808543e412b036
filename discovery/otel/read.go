package otel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// Format of an input.
type Format int

// Formats. Detect tells them apart by content: OTLP/JSON starts with '{'
// (a protobuf export starts with the tag of field 1, 0x0a), and either may
// be gzip-compressed.
const (
	Detect Format = iota
	JSON
	Protobuf
)

// Read reads one input named name (a file path, or a request) and commits
// its spans when it was read without error. open returns the raw input; it
// is called again only to turn a byte offset into a line for an error
// message. A broken input returns its error and contributes nothing;
// problems read around (a resource without service.name) come back as
// warnings while the rest of the input is kept.
func (o *Observer) Read(name string, f Format, open func() (io.ReadCloser, error)) (warnings []*discovery.FileError, err *discovery.FileError) {
	p := o.newPart(name)
	rc, oerr := open()
	if oerr != nil {
		return nil, &discovery.FileError{File: name, Msg: oerr.Error(), Err: oerr}
	}
	format, rerr := p.read(rc, f)
	rc.Close()
	if rerr != nil {
		p.rollback()
		return nil, o.fileError(name, format, rerr, open)
	}
	p.commit()
	for _, w := range p.warnings {
		fe := &discovery.FileError{File: name, Msg: w.msg}
		if w.off >= 0 && format == JSON {
			fe.Line, _ = lineAt(open, w.off)
		}
		warnings = append(warnings, fe)
	}
	if p.more > 0 {
		warnings = append(warnings, &discovery.FileError{File: name,
			Msg: fmt.Sprintf("and %d more resources without service.name (their spans were skipped)", p.more)})
	}
	return warnings, nil
}

func (p *part) read(rc io.Reader, f Format) (Format, error) {
	br := bufio.NewReaderSize(rc, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return f, &posError{off: -1, msg: "gzip: " + err.Error(), err: err}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	if f == Detect {
		f = Protobuf
		if head, _ := br.Peek(4096); looksJSON(head) {
			f = JSON
		}
		if head, _ := br.Peek(1); len(head) == 0 {
			return f, &posError{off: -1, msg: "empty input: want an OTLP/JSON or OTLP/protobuf trace export"}
		}
	}
	if f == JSON {
		return f, p.readJSON(br)
	}
	return f, p.readProto(br)
}

// looksJSON tells OTLP/JSON from OTLP/protobuf by the first bytes. A
// protobuf export starts with 0x0a (field 1, length-delimited) — which is
// also '\n' — followed by a length that may be '{' (123), so JSON is
// recognised by '{' first, or by whitespace, '{', whitespace and then a
// key's quote or the closing brace.
func looksJSON(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] == '{' {
		return true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i == 0 || i >= len(b) || b[i] != '{' {
		return false
	}
	for i++; i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'); i++ {
	}
	return i < len(b) && (b[i] == '"' || b[i] == '}') && (i+1 >= len(b) || b[i+1] != 0x0a)
}

// FormatOf decides a file's format by its name (.json, .jsonl, .ndjson;
// .pb, .binpb, .protobuf, .bin; a .gz suffix is looked through), or
// Detect.
func FormatOf(name string) Format {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch filepath.Ext(name) {
	case ".json", ".jsonl", ".ndjson":
		return JSON
	case ".pb", ".binpb", ".protobuf", ".bin":
		return Protobuf
	}
	return Detect
}

// fileError turns a read error into a FileError with a line for JSON.
func (o *Observer) fileError(name string, f Format, err error, open func() (io.ReadCloser, error)) *discovery.FileError {
	fe := &discovery.FileError{File: name, Msg: err.Error(), Err: err}
	var pe *posError
	if errors.As(err, &pe) && f == JSON && pe.off >= 0 {
		if pe.rescan {
			pe.off = rescan(open, pe.off)
		}
		line, col := lineAt(open, pe.off)
		if pe.rel > 1 {
			line += pe.rel - 1
		}
		fe.Line = line
		if pe.rel == 0 && col > 0 {
			fe.Msg = fmt.Sprintf("column %d: %s", col, pe.msg)
		}
	}
	return fe
}

// rescan decodes the JSON value starting at byte off of the input again
// and returns the absolute offset of its syntax error.
func rescan(open func() (io.ReadCloser, error), off int64) int64 {
	r, closer, err := reopen(open)
	if err != nil {
		return off
	}
	defer closer()
	if _, err := io.CopyN(io.Discard, r, off); err != nil {
		return off
	}
	var raw json.RawMessage
	var se *json.SyntaxError
	if err := json.NewDecoder(r).Decode(&raw); errors.As(err, &se) && se.Offset > 0 {
		return off + se.Offset - 1
	}
	return off
}

// reopen opens the input again, through gzip when it is compressed.
func reopen(open func() (io.ReadCloser, error)) (io.Reader, func(), error) {
	rc, err := open()
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(rc, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		return zr, func() { rc.Close() }, nil
	}
	return br, func() { rc.Close() }, nil
}

// lineAt returns the 1-based line and column of byte offset off of the
// (decompressed) input, reading it again.
func lineAt(open func() (io.ReadCloser, error), off int64) (line, col int) {
	r, closer, err := reopen(open)
	if err != nil {
		return 0, 0
	}
	defer closer()
	line, col = 1, 1
	buf := make([]byte, 1<<16)
	var pos int64
	for pos < off {
		n, err := r.Read(buf[:min(int64(len(buf)), off-pos)])
		for _, c := range buf[:n] {
			if c == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
		pos += int64(n)
		if err != nil {
			break
		}
	}
	return line, col
}

// Options configure a Run over files.
type Options struct {
	// Env is the environment of every service (as --env); empty means each
	// resource's deployment.environment.name.
	Env string
	// Scope is the batch scope key; empty means the env, or "default".
	Scope string
	Run   graph.RunID
}

// Run reads trace export files and returns the discovery report the
// discover command delivers. A file that cannot be read is listed in
// Errors and contributes nothing; the others are read on.
func Run(ctx context.Context, paths []string, opt Options) (*discovery.Report, Stats, error) {
	o := NewObserver(opt.Env)
	key := opt.Scope
	if key == "" {
		key = opt.Env
	}
	if key == "" {
		key = "default"
	}
	rep := &discovery.Report{
		Scope:     graph.Scope{Source: AgentName, Key: key},
		FilesRead: map[string]int{}, NodesByKind: map[string]int{}, EdgesByKind: map[string]int{},
	}
	files, err := expand(paths)
	if err != nil {
		return nil, Stats{}, err
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return nil, Stats{}, err
		}
		rep.Files++
		warns, ferr := o.Read(path, FormatOf(path), func() (io.ReadCloser, error) { return os.Open(path) })
		if ferr != nil {
			rep.Errors = append(rep.Errors, ferr)
			continue
		}
		rep.FilesRead[AgentName]++
		rep.Errors = append(rep.Errors, warns...)
	}
	c := discovery.NewCollector(opt.Env)
	st := o.Build(c)
	rep.Collector = c
	rep.Batch, rep.Dangling = c.Batch(rep.Scope, opt.Run)
	for _, n := range rep.Batch.Nodes {
		rep.NodesByKind[string(n.Kind)]++
	}
	for _, e := range rep.Batch.Edges {
		rep.EdgesByKind[string(e.Kind)]++
	}
	return rep, st, nil
}

// expand lists the files to read: the paths given, and the regular files
// below any directory given (in name order).
func expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var below []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				below = append(below, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(below)
		out = append(out, below...)
	}
	return out, nil
}

// BytesOpener returns an open func for an input held in memory.
func BytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}
