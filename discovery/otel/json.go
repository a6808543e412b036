package otel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

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
	p   *part
	dec *json.Decoder
	sd  spanData
}

func (p *part) readJSON(r io.Reader) error {
	jr := &jsonReader{p: p, dec: json.NewDecoder(r)}
	jr.dec.UseNumber()
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

type pendingSpan struct {
	span *tracepb.Span
	path string
	off  int64
}

func (jr *jsonReader) resourceSpans(path string) error {
	var (
		res     *resourceInfo
		svc     int32 = -1
		pending []pendingSpan
		n       int
		at      = jr.dec.InputOffset()
	)
	add := func(sp *tracepb.Span, spath string, off int64) error {
		n++
		if res == nil { // the resource comes after its spans: keep them until it does
			pending = append(pending, pendingSpan{sp, spath, off})
			return nil
		}
		if svc < 0 {
			return nil
		}
		jr.sd.fromSpan(sp)
		if err := jr.p.addSpan(svc, &jr.sd); err != nil {
			return &posError{off: off, msg: spath + ": " + err.Error(), err: err}
		}
		return nil
	}
	var span tracepb.Span
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
						sp := &span
						if res == nil {
							sp = new(tracepb.Span)
						}
						p := fmt.Sprintf("%s.spans[%d]", spath, j)
						off, err := jr.decode(p, func(b []byte) error { return unmarshalJSON.Unmarshal(b, sp) })
						if err != nil {
							return err
						}
						return add(sp, p, off)
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
		return nil
	}
	if svc < 0 {
		svc = jr.p.o.service(*res)
	}
	for _, ps := range pending {
		jr.sd.fromSpan(ps.span)
		if err := jr.p.addSpan(svc, &jr.sd); err != nil {
			return &posError{off: ps.off, msg: ps.path + ": " + err.Error(), err: err}
		}
	}
	return nil
}
