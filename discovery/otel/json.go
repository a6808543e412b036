package otel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"sync/atomic"

	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// posError is a problem at a byte offset of an input; the caller turns the
// offset into a line.
type posError struct {
	off int64
	// rel, when > 0, is a line inside the element starting at off (from
	// protojson's own "(line L:C)"), so the reported line is off's line +
	// rel - 1.
	rel int
	// rescan: the error is in the JSON value starting at off; its exact
	// place is found by decoding that value again.
	rescan bool
	msg    string
	err    error
}

func (e *posError) Error() string { return e.msg }
func (e *posError) Unwrap() error { return e.err }

var unmarshalJSON = protojson.UnmarshalOptions{DiscardUnknown: true}

// jsonReader walks an OTLP/JSON input: one ExportTraceServiceRequest (or
// TracesData) object, or several in a row (the collector's file exporter
// writes one per line). Only single spans and resources are decoded whole.
type jsonReader struct {
	p     *part
	dec   *json.Decoder
	sdec  *spanDecoder
	batch []spanJob
}

func (p *part) readJSON(r io.Reader) error {
	jr := &jsonReader{p: p, dec: json.NewDecoder(r)}
	jr.dec.UseNumber()
	jr.startDecoder()
	err := jr.walk()
	if derr := jr.finish(); derr != nil {
		return derr
	}
	return err
}

func (jr *jsonReader) walk() error {
	for doc := 0; ; doc++ {
		tok, err := jr.dec.Token()
		if err == io.EOF {
			if doc == 0 {
				return &posError{off: -1, msg: "empty input: want an OTLP/JSON object with resourceSpans"}
			}
			return nil
		}
		if err != nil {
			return jr.tokenErr(err, "")
		}
		if tok != json.Delim('{') {
			return &posError{off: jr.tokStart(tok), msg: fmt.Sprintf("want an OTLP/JSON object ({\"resourceSpans\": [...]}), found %s", describe(tok))}
		}
		prefix := ""
		if doc > 0 {
			prefix = fmt.Sprintf("document %d: ", doc+1)
		}
		for jr.dec.More() {
			key, err := jr.key(prefix)
			if err != nil {
				return err
			}
			switch key {
			case "resourceSpans", "resource_spans":
				if err := jr.array(prefix+key, func(i int) error {
					return jr.resourceSpans(fmt.Sprintf("%s%s[%d]", prefix, key, i))
				}); err != nil {
					return err
				}
			default:
				if err := jr.skip(prefix + key); err != nil {
					return err
				}
			}
		}
		if _, err := jr.dec.Token(); err != nil { // '}'
			return jr.tokenErr(err, prefix)
		}
	}
}

// tokStart is the offset at which tok, just read, began.
func (jr *jsonReader) tokStart(tok json.Token) int64 {
	n := int64(1)
	switch v := tok.(type) {
	case string:
		b, _ := json.Marshal(v)
		n = int64(len(b))
	case json.Number:
		n = int64(len(v))
	case bool:
		n = int64(len(fmt.Sprint(v)))
	case nil:
		n = 4
	}
	return max(jr.dec.InputOffset()-n, 0)
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return string(v)
	case string:
		return fmt.Sprintf("string %q", v)
	case json.Number:
		return "number " + v.String()
	case bool:
		return fmt.Sprintf("%v", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// tokenErr turns a decoder error into a positioned one. encoding/json
// reports a syntax error's offset relative to a scan start that depends on
// how the value was reached (Token or Decode), so the error keeps where the
// failing value began and the position is found by scanning the input
// again from there (only when an error is reported).
func (jr *jsonReader) tokenErr(err error, path string) error {
	var se *json.SyntaxError
	at := ""
	if path != "" {
		at = " in " + path
	}
	cur := jr.dec.InputOffset()
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return &posError{off: cur, msg: "truncated: input ends" + at + " before the JSON is complete", err: err}
	case errors.As(err, &se):
		return &posError{off: cur, rescan: true, msg: "invalid JSON" + at + ": " + se.Error(), err: err}
	}
	return &posError{off: cur, msg: err.Error() + at, err: err}
}

func (jr *jsonReader) key(path string) (string, error) {
	tok, err := jr.dec.Token()
	if err != nil {
		return "", jr.tokenErr(err, path)
	}
	k, ok := tok.(string)
	if !ok {
		return "", &posError{off: jr.tokStart(tok), msg: fmt.Sprintf("%s: want an object key, found %s", path, describe(tok))}
	}
	return k, nil
}

// array walks a JSON array at path, calling elem for each element; null is
// an empty array.
func (jr *jsonReader) array(path string, elem func(i int) error) error {
	tok, err := jr.dec.Token()
	if err != nil {
		return jr.tokenErr(err, path)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return &posError{off: jr.tokStart(tok), msg: fmt.Sprintf("%s: want an array, found %s", path, describe(tok))}
	}
	for i := 0; jr.dec.More(); i++ {
		if err := elem(i); err != nil {
			return err
		}
	}
	if _, err := jr.dec.Token(); err != nil {
		return jr.tokenErr(err, path)
	}
	return nil
}

// object walks a JSON object at path, calling field for each key; null is
// an empty object.
func (jr *jsonReader) object(path string, field func(key string) error) error {
	tok, err := jr.dec.Token()
	if err != nil {
		return jr.tokenErr(err, path)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return &posError{off: jr.tokStart(tok), msg: fmt.Sprintf("%s: want an object, found %s", path, describe(tok))}
	}
	for jr.dec.More() {
		k, err := jr.key(path)
		if err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
	}
	if _, err := jr.dec.Token(); err != nil {
		return jr.tokenErr(err, path)
	}
	return nil
}

// skip consumes one value without keeping it.
func (jr *jsonReader) skip(path string) error {
	depth := 0
	for {
		tok, err := jr.dec.Token()
		if err != nil {
			return jr.tokenErr(err, path)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

var protoLine = regexp.MustCompile(`\(line (\d+):(\d+)\)`)

// decode decodes the next value (one span or resource) into m with
// protojson, which handles OTLP/JSON's lowerCamelCase names, enums given as
// numbers and 64-bit integers given as strings.
func (jr *jsonReader) decode(path string, unmarshal func([]byte) error) (int64, error) {
	var raw json.RawMessage
	if err := jr.dec.Decode(&raw); err != nil {
		return 0, jr.tokenErr(err, path)
	}
	start := jr.dec.InputOffset() - int64(len(raw))
	if err := unmarshal(raw); err != nil {
		pe := &posError{off: start, msg: path + ": " + protoMessage(err), err: err}
		if m := protoLine.FindStringSubmatch(err.Error()); m != nil {
			pe.rel, _ = strconv.Atoi(m[1])
		}
		return 0, pe
	}
	return start, nil
}

// protoMessage strips protojson's "proto: (line 1:23): " prefix, whose
// position is relative to the element, not the file.
func protoMessage(err error) string {
	s := err.Error()
	if loc := protoLine.FindStringIndex(s); loc != nil {
		rest := s[loc[1]:]
		if len(rest) > 2 && rest[0] == ':' {
			return rest[2:]
		}
	}
	return s
}

// spanJob is one span's JSON, handed to the goroutine that decodes spans
// (fastSpan, protojson for what it hands over) while this one walks the
// input, so two cores overlap the walk and the decoding.
type spanJob struct {
	raw   []byte
	off   int64
	svc   int32  // -1: the resource names no service (decoded, not kept)
	scope string // path of its scopeSpans element
	idx   int
}

// errStopped unwinds the walk once the span decoder has failed.
var errStopped = errors.New("stopped")

const jobBatch = 256

// spanDecoder decodes and records spans in input order on one goroutine
// (the observer's tables are not shared with the walker: it only adds
// services, which spans refer to by index).
type spanDecoder struct {
	jobs   chan []spanJob
	done   chan struct{}
	err    error // the first error, in input order; read after done
	failed atomic.Bool
}

func (jr *jsonReader) startDecoder() {
	d := &spanDecoder{jobs: make(chan []spanJob, 4), done: make(chan struct{})}
	jr.sdec = d
	go func() {
		defer close(d.done)
		var span tracepb.Span
		var sd spanData
		var ids idScratch
		for batch := range d.jobs {
			if d.err != nil {
				continue // drain
			}
			for _, j := range batch {
				if !fastSpan(j.raw, &sd, &ids) {
					if err := unmarshalJSON.Unmarshal(j.raw, &span); err != nil {
						pe := &posError{off: j.off, msg: fmt.Sprintf("%s.spans[%d]: %s", j.scope, j.idx, protoMessage(err)), err: err}
						if m := protoLine.FindStringSubmatch(err.Error()); m != nil {
							pe.rel, _ = strconv.Atoi(m[1])
						}
						d.err = pe
						break
					}
					sd.fromSpan(&span)
				}
				if j.svc < 0 {
					continue
				}
				if err := jr.p.addSpan(j.svc, &sd); err != nil {
					d.err = &posError{off: j.off, msg: fmt.Sprintf("%s.spans[%d]: %s", j.scope, j.idx, err), err: err}
					break
				}
			}
			if d.err != nil {
				d.failed.Store(true)
			}
		}
	}()
}

// submit queues a span for decoding; it fails once the decoder has.
func (jr *jsonReader) submit(j spanJob) error {
	jr.batch = append(jr.batch, j)
	if len(jr.batch) >= jobBatch {
		jr.sdec.jobs <- jr.batch
		jr.batch = make([]spanJob, 0, jobBatch)
	}
	if jr.sdec.failed.Load() {
		return errStopped
	}
	return nil
}

// finish waits for the decoder and returns its error: every span it saw
// comes before wherever the walk stopped, so its error is the first.
func (jr *jsonReader) finish() error {
	if len(jr.batch) > 0 {
		jr.sdec.jobs <- jr.batch
		jr.batch = nil
	}
	close(jr.sdec.jobs)
	<-jr.sdec.done
	return jr.sdec.err
}

// rawValue reads span idx of scope whole.
func (jr *jsonReader) rawValue(scope string, idx int) ([]byte, int64, error) {
	var raw json.RawMessage
	if err := jr.dec.Decode(&raw); err != nil {
		return nil, 0, jr.tokenErr(err, fmt.Sprintf("%s.spans[%d]", scope, idx))
	}
	return raw, jr.dec.InputOffset() - int64(len(raw)), nil
}

func (jr *jsonReader) resourceSpans(path string) error {
	var (
		res     *resourceInfo
		svc     int32     = -1
		pending []spanJob // spans before their resource
		n       int
		at      = jr.dec.InputOffset()
	)
	err := jr.object(path, func(key string) error {
		switch key {
		case "resource":
			var r resourcepb.Resource
			if _, err := jr.decode(path+".resource", func(b []byte) error { return unmarshalJSON.Unmarshal(b, &r) }); err != nil {
				return err
			}
			ri := readResource(&r, jr.p.o.env)
			res = &ri
			if ri.service != "" {
				svc = jr.p.o.service(ri)
			}
			return nil
		case "scopeSpans", "scope_spans":
			return jr.array(path+"."+key, func(i int) error {
				spath := fmt.Sprintf("%s.%s[%d]", path, key, i)
				return jr.object(spath, func(k string) error {
					if k != "spans" {
						return jr.skip(spath + "." + k)
					}
					return jr.array(spath+".spans", func(j int) error {
						raw, off, err := jr.rawValue(spath, j)
						if err != nil {
							return err
						}
						n++
						job := spanJob{raw: raw, off: off, svc: svc, scope: spath, idx: j}
						if res == nil { // the resource comes after its spans: keep them until it does
							pending = append(pending, job)
							return nil
						}
						return jr.submit(job)
					})
				})
			})
		}
		return jr.skip(path + "." + key)
	})
	if err != nil {
		return err
	}
	if res == nil {
		res = &resourceInfo{}
	}
	if res.service == "" {
		if n > 0 {
			jr.p.noService(n, at, path)
		}
	} else if svc < 0 {
		svc = jr.p.o.service(*res)
	}
	for _, j := range pending {
		j.svc = svc
		if err := jr.submit(j); err != nil {
			return err
		}
	}
	return nil
}
