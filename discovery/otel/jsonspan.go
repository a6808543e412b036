package otel

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// fastSpan decodes one OTLP/JSON span straight into sd, without building a
// tracepb.Span: protojson's reflection took three quarters of the CPU of a
// JSON ingest. raw is one complete JSON value as json.Decoder produced it
// (so its syntax is already checked).
//
// It accepts exactly what protojson (with DiscardUnknown) accepts, or says
// it does not know: for anything outside the common shapes (numbers in
// exponent form, a duplicated field, invalid UTF-8, a surrogate escape,
// deep nesting, a value of the wrong type, …) it returns false and the
// caller decodes the span with protojson, which then also words the error.
// TestFastSpanMatchesProtojson and FuzzFastSpan hold it to that.
func fastSpan(raw []byte, sd *spanData, scratch *idScratch) bool {
	d := jdec{b: raw}
	sd.reset()
	return d.span(sd, scratch) && d.end()
}

// idScratch holds a span's decoded ids (spanData keeps slices).
type idScratch struct {
	trace [16]byte
	span  [8]byte
	par   [8]byte
}

// jdec walks a JSON value that encoding/json has already checked.
type jdec struct {
	b     []byte
	i     int
	depth int
}

// maxDepth bounds nesting (attribute values can nest arrays and lists);
// deeper input goes to protojson, which has its own limit.
const maxDepth = 32

func (d *jdec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jdec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *jdec) eat(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

func (d *jdec) end() bool { d.ws(); return d.i == len(d.b) }

// null consumes a null literal if one is next.
func (d *jdec) null() bool {
	if d.peek() == 'n' && bytes.HasPrefix(d.b[d.i:], []byte("null")) {
		d.i += 4
		return true
	}
	return false
}

// str reads a string. Without escapes the result aliases the input.
func (d *jdec) str() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	d.i++
	start, ascii := d.i, true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false // protojson rejects invalid UTF-8
			}
			return s, true
		case c == '\\':
			return d.escaped(start)
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return nil, false
}

// escaped finishes a string with escapes, unescaping it.
func (d *jdec) escaped(start int) ([]byte, bool) {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case '\\':
			if d.i+1 < len(d.b) && d.b[d.i+1] == 'u' && d.i+5 < len(d.b) && (d.b[d.i+2]|0x20) == 'd' && d.b[d.i+3] >= '8' {
				return nil, false // a surrogate escape: protojson's rules for lone halves are its own
			}
			d.i += 2
			continue
		case '"':
			body := d.b[start:d.i]
			d.i++
			if !utf8.Valid(body) {
				return nil, false
			}
			var s string
			if json.Unmarshal(d.b[start-1:d.i], &s) != nil {
				return nil, false
			}
			return []byte(s), true
		}
		d.i++
	}
	return nil, false
}

// field reads an object key and the colon after it.
func (d *jdec) field() ([]byte, bool) {
	k, ok := d.str()
	return k, ok && d.eat(':')
}

// object calls f for each field of an object; false from f stops it.
func (d *jdec) object(f func(key []byte) bool) bool {
	if !d.eat('{') {
		return false
	}
	if d.depth++; d.depth > maxDepth {
		return false
	}
	defer func() { d.depth-- }()
	if d.eat('}') {
		return true
	}
	for {
		k, ok := d.field()
		if !ok || !f(k) {
			return false
		}
		if d.eat(',') {
			continue
		}
		return d.eat('}')
	}
}

// array calls f for each element of an array.
func (d *jdec) array(f func() bool) bool {
	if !d.eat('[') {
		return false
	}
	if d.depth++; d.depth > maxDepth {
		return false
	}
	defer func() { d.depth-- }()
	if d.eat(']') {
		return true
	}
	for {
		if !f() {
			return false
		}
		if d.eat(',') {
			continue
		}
		return d.eat(']')
	}
}

// skip consumes any value (an unknown field's), checking its strings'
// UTF-8 as protojson does when it skips.
func (d *jdec) skip() bool {
	switch c := d.peek(); {
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '{':
		return d.object(func([]byte) bool { return d.skip() })
	case c == '[':
		return d.array(d.skip)
	case c == 't' || c == 'f' || c == 'n' || c == '-' || ('0' <= c && c <= '9'):
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			d.i++
		}
		return true
	}
	return false
}

// number returns an integer's digits, given as a JSON number or a string,
// in the plain form only (-?(0|[1-9][0-9]*)).
func (d *jdec) number() ([]byte, bool) {
	var s []byte
	if d.peek() == '"' {
		var ok bool
		if s, ok = d.str(); !ok {
			return nil, false
		}
	} else {
		start := d.i
		for d.i < len(d.b) && (d.b[d.i] == '-' || ('0' <= d.b[d.i] && d.b[d.i] <= '9')) {
			d.i++
		}
		if d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
			return nil, false
		}
		s = d.b[start:d.i]
	}
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || (digits[0] == '0' && len(digits) > 1) {
		return nil, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, false
		}
	}
	return s, true
}

func (d *jdec) int(bits int) (int64, bool) {
	s, ok := d.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s), 10, bits)
	return n, err == nil
}

func (d *jdec) uint(bits int) (uint64, bool) {
	s, ok := d.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s), 10, bits)
	return n, err == nil
}

// bytesField decodes a bytes field as protojson does (base64, standard or
// URL alphabet, padding optional), except that the hex ids OTLP/JSON
// writes are decoded as hex straight away: protojson's base64 reading of
// them is what spanID turns back into hex, so the result is the same.
func (d *jdec) bytesField(hexOut []byte) ([]byte, bool) {
	s, ok := d.str()
	if !ok {
		return nil, false
	}
	if hexOut != nil && len(s) == 2*len(hexOut) {
		if _, err := hex.Decode(hexOut, s); err == nil {
			return hexOut, true
		}
	}
	enc := base64.StdEncoding
	if bytes.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	return out[:n], err == nil
}

// enum reads an enum given by number (any int32) or by name; an unknown
// name is discarded (0), as protojson does with DiscardUnknown.
func (d *jdec) enum(names map[string]int32) (int32, bool) {
	if d.peek() == '"' {
		s, ok := d.str()
		if !ok {
			return 0, false
		}
		return names[string(s)], true
	}
	n, ok := d.int(32)
	return int32(n), ok
}

// seen tracks the fields of one message by number: protojson rejects a
// field given twice (also once by each of its two names).
type seen uint64

func (s *seen) add(num int) bool {
	if *s&(1<<num) != 0 {
		return false
	}
	*s |= 1 << num
	return true
}

// The fields of the OTLP messages a span holds, by JSON name and proto
// name, numbered as in the .proto files (checked against the descriptors
// in TestFastSpanFieldNames).
var (
	spanFields = map[string]int{
		"traceId": 1, "trace_id": 1, "spanId": 2, "span_id": 2, "traceState": 3, "trace_state": 3,
		"parentSpanId": 4, "parent_span_id": 4, "flags": 16, "name": 5, "kind": 6,
		"startTimeUnixNano": 7, "start_time_unix_nano": 7, "endTimeUnixNano": 8, "end_time_unix_nano": 8,
		"attributes": 9, "droppedAttributesCount": 10, "dropped_attributes_count": 10,
		"events": 11, "droppedEventsCount": 12, "dropped_events_count": 12,
		"links": 13, "droppedLinksCount": 14, "dropped_links_count": 14, "status": 15,
	}
	eventFields = map[string]int{
		"timeUnixNano": 1, "time_unix_nano": 1, "name": 2, "attributes": 3,
		"droppedAttributesCount": 4, "dropped_attributes_count": 4,
	}
	linkFields = map[string]int{
		"traceId": 1, "trace_id": 1, "spanId": 2, "span_id": 2, "traceState": 3, "trace_state": 3,
		"attributes": 4, "droppedAttributesCount": 5, "dropped_attributes_count": 5, "flags": 6,
	}
	statusFields   = map[string]int{"message": 2, "code": 3}
	keyValueFields = map[string]int{"key": 1, "value": 2, "keyStrindex": 3, "key_strindex": 3}
	anyValueFields = map[string]int{
		"stringValue": 1, "string_value": 1, "boolValue": 2, "bool_value": 2, "intValue": 3, "int_value": 3,
		"doubleValue": 4, "double_value": 4, "arrayValue": 5, "array_value": 5,
		"kvlistValue": 6, "kvlist_value": 6, "bytesValue": 7, "bytes_value": 7,
		"stringValueStrindex": 8, "string_value_strindex": 8,
	}
	listFields = map[string]int{"values": 1} // ArrayValue and KeyValueList

	spanKinds = map[string]int32{
		"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
		"SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
	}
	statusCodes = map[string]int32{"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
)

// message walks an object of a message with the given fields: unknown
// fields are skipped, nulls leave a field unset, and each known field's
// value goes to f with its number.
func (d *jdec) message(fields map[string]int, f func(num int) bool) bool {
	var s seen
	return d.object(func(k []byte) bool {
		num, ok := fields[string(k)]
		if !ok {
			return d.skip()
		}
		if !s.add(num) {
			return false
		}
		if d.null() {
			return true
		}
		return f(num)
	})
}

func (d *jdec) span(sd *spanData, sc *idScratch) bool {
	return d.message(spanFields, func(num int) bool {
		var ok bool
		switch num {
		case 1:
			sd.traceID, ok = d.bytesField(sc.trace[:])
		case 2:
			sd.spanID, ok = d.bytesField(sc.span[:])
		case 4:
			sd.parentID, ok = d.bytesField(sc.par[:])
		case 3, 5:
			_, ok = d.str()
		case 6:
			var k int32
			k, ok = d.enum(spanKinds)
			sd.kind = int8(k)
		case 7, 8:
			var t uint64
			t, ok = d.uint(64)
			if num == 7 {
				sd.start = int64(t)
			} else {
				sd.end = int64(t)
			}
		case 9:
			ok = d.array(func() bool { return d.keyValue(sd) })
		case 10, 12, 14, 16:
			_, ok = d.uint(32)
		case 11:
			ok = d.array(func() bool { return d.message(eventFields, d.event) })
		case 13:
			ok = d.array(func() bool { return d.message(linkFields, d.link) })
		case 15:
			ok = d.message(statusFields, func(n int) bool {
				if n == 2 {
					_, ok := d.str()
					return ok
				}
				c, ok := d.enum(statusCodes)
				sd.status = c
				return ok
			})
		}
		return ok
	})
}

func (d *jdec) event(num int) bool {
	switch num {
	case 1:
		_, ok := d.uint(64)
		return ok
	case 2:
		_, ok := d.str()
		return ok
	case 3:
		return d.array(func() bool { return d.keyValue(nil) })
	}
	_, ok := d.uint(32)
	return ok
}

func (d *jdec) link(num int) bool {
	switch num {
	case 1, 2:
		_, ok := d.bytesField(nil)
		return ok
	case 3:
		_, ok := d.str()
		return ok
	case 4:
		return d.array(func() bool { return d.keyValue(nil) })
	}
	_, ok := d.uint(32)
	return ok
}

// keyValue reads one attribute; with sd, the ones the agent reads are set
// in it (strings and integers, the first occurrence of a key winning, as
// fromSpan does).
func (d *jdec) keyValue(sd *spanData) bool {
	var key []byte
	var val attrVal
	ok := d.message(keyValueFields, func(num int) bool {
		switch num {
		case 1:
			var ok bool
			key, ok = d.str()
			return ok
		case 3: // key_strindex (profiles' string table), not a key spans use
			_, ok := d.int(32)
			return ok
		}
		return d.anyValue(&val)
	})
	if !ok {
		return false
	}
	if sd != nil && val.set {
		if slot, known := attrSlot[string(key)]; known {
			sd.setAttr(slot, attrVal{b: val.b, i: val.i, isInt: val.isInt})
		}
	}
	return true
}

// anyValue reads an AnyValue; a string or integer goes to v (set).
func (d *jdec) anyValue(v *attrVal) bool {
	var oneof bool
	return d.message(anyValueFields, func(num int) bool {
		if oneof {
			return false // protojson: the oneof is already set
		}
		oneof = true
		switch num {
		case 1:
			s, ok := d.str()
			*v = attrVal{b: s, set: true}
			return ok
		case 2:
			switch {
			case bytes.HasPrefix(d.b[d.i:], []byte("true")):
				d.i += 4
			case bytes.HasPrefix(d.b[d.i:], []byte("false")):
				d.i += 5
			default:
				return false
			}
			return true
		case 3:
			n, ok := d.int(64)
			*v = attrVal{i: n, isInt: true, set: true}
			return ok
		case 4:
			if d.peek() == '"' {
				return false // "NaN", "Infinity", numbers as strings: protojson's call
			}
			start := d.i
			if !d.skip() {
				return false
			}
			_, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
			return err == nil
		case 5:
			return d.message(listFields, func(int) bool {
				return d.array(func() bool { var x attrVal; return d.anyValue(&x) })
			})
		case 6:
			return d.message(listFields, func(int) bool {
				return d.array(func() bool { return d.keyValue(nil) })
			})
		case 8: // string_value_strindex: an index, not a string
			_, ok := d.int(32)
			return ok
		}
		_, ok := d.bytesField(nil)
		return ok
	})
}
