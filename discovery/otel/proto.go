package otel

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// maxResourceSpans bounds one ResourceSpans message read from a protobuf
// input (an exporter batches far smaller ones).
const maxResourceSpans = 1 << 30

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readProto reads an OTLP/protobuf ExportTraceServiceRequest (the same wire
// form as TracesData: field 1, repeated ResourceSpans) one ResourceSpans at a
// time.
func (p *part) readProto(r io.Reader) error {
	cr := &countingReader{r: bufio.NewReaderSize(r, 1<<16)}
	truncated := func(at int64, path string) error {
		return &posError{off: at, msg: fmt.Sprintf("truncated: input ends inside %s (byte %d)", path, cr.n)}
	}
	var buf []byte
	for i := 0; ; {
		at := cr.n
		tag, err := binary.ReadUvarint(cr)
		if err == io.EOF {
			if at == 0 {
				return &posError{off: -1, msg: "empty input: want an OTLP/protobuf ExportTraceServiceRequest"}
			}
			return nil
		}
		if err != nil {
			return truncated(at, "a field tag")
		}
		num, typ := protowire.DecodeTag(tag)
		if num <= 0 {
			return &posError{off: at, msg: fmt.Sprintf("byte %d: invalid protobuf field tag %d: not an OTLP/protobuf trace export", at, tag)}
		}
		switch typ {
		case protowire.VarintType:
			if _, err := binary.ReadUvarint(cr); err != nil {
				return truncated(at, fmt.Sprintf("field %d", num))
			}
		case protowire.Fixed32Type, protowire.Fixed64Type:
			n := 4
			if typ == protowire.Fixed64Type {
				n = 8
			}
			if _, err := io.CopyN(io.Discard, cr, int64(n)); err != nil {
				return truncated(at, fmt.Sprintf("field %d", num))
			}
		case protowire.BytesType:
			n, err := binary.ReadUvarint(cr)
			if err != nil {
				return truncated(at, fmt.Sprintf("field %d", num))
			}
			if n > maxResourceSpans {
				return &posError{off: at, msg: fmt.Sprintf("byte %d: field %d is %d bytes long, more than the %d accepted", at, num, n, maxResourceSpans)}
			}
			if num != 1 {
				if _, err := io.CopyN(io.Discard, cr, int64(n)); err != nil {
					return truncated(at, fmt.Sprintf("field %d", num))
				}
				continue
			}
			if cap(buf) < int(n) {
				buf = make([]byte, n)
			}
			buf = buf[:n]
			path := fmt.Sprintf("resourceSpans[%d]", i)
			if _, err := io.ReadFull(cr, buf); err != nil {
				return truncated(at, path)
			}
			if err := p.resourceSpansProto(buf, path, at); err != nil {
				return err
			}
			i++
		default:
			return &posError{off: at, msg: fmt.Sprintf("byte %d: unexpected protobuf wire type %d for field %d: not an OTLP/protobuf trace export", at, typ, num)}
		}
	}
}

// fields walks the fields of a message in b, calling f for each
// length-delimited one and skipping the rest.
func fields(b []byte, f func(num protowire.Number, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return protowire.ParseError(m)
			}
			if err := f(num, v); err != nil {
				return err
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return protowire.ParseError(m)
		}
		b = b[m:]
	}
	return nil
}

var errBadProto = errors.New("malformed protobuf")

// resourceSpansProto reads one ResourceSpans: field 1 Resource, field 2
// ScopeSpans (whose field 2 are the spans).
func (p *part) resourceSpansProto(b []byte, path string, at int64) error {
	var res resourcepb.Resource
	var scopes [][]byte
	if err := fields(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			if err := proto.Unmarshal(v, &res); err != nil {
				return fmt.Errorf("%s.resource: %w", path, err)
			}
		case 2:
			scopes = append(scopes, v)
		}
		return nil
	}); err != nil {
		return &posError{off: at, msg: fmt.Sprintf("byte %d: %s: %v", at, path, err), err: errBadProto}
	}
	ri := readResource(&res, p.o.env)
	svc := int32(-1)
	if ri.service != "" {
		svc = p.o.service(ri)
	}
	var sd spanData
	n := 0
	for i, sb := range scopes {
		j := 0
		err := fields(sb, func(num protowire.Number, v []byte) error {
			if num != 2 {
				return nil
			}
			k := j
			j++
			n++
			err := parseSpan(v, &sd)
			if err == nil && svc >= 0 {
				err = p.addSpan(svc, &sd)
			}
			if err != nil {
				return fmt.Errorf("%s.scopeSpans[%d].spans[%d]: %w", path, i, k, err)
			}
			return nil
		})
		if err != nil {
			return &posError{off: at, msg: fmt.Sprintf("byte %d: %v", at, err), err: err}
		}
	}
	if svc < 0 && n > 0 {
		p.noService(n, -1, fmt.Sprintf("byte %d: %s", at, path))
	}
	return nil
}

// parseSpan reads the fields of a Span the agent needs straight from the
// wire (trace_id 1, span_id 2, parent_span_id 4, kind 6, start 7, end 8,
// attributes 9, status 15), without building the message: decoding a
// million spans through generated types costs more than everything else
// together. Values stay slices of b.
func parseSpan(b []byte, sd *spanData) error {
	sd.reset()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
			}
			b = b[m:]
			switch num {
			case 1:
				sd.traceID = v
			case 2:
				sd.spanID = v
			case 4:
				sd.parentID = v
			case 9:
				if err := parseAttr(v, sd); err != nil {
					return fmt.Errorf("attributes: %w", err)
				}
			case 15:
				if err := fields(v, func(protowire.Number, []byte) error { return nil }); err != nil {
					return fmt.Errorf("status: %w", err)
				}
				sd.status = statusCode(v)
			}
			continue
		case typ == protowire.VarintType && num == 6:
			k, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return fmt.Errorf("kind: %w", protowire.ParseError(m))
			}
			sd.kind = int8(k)
			b = b[m:]
			continue
		case typ == protowire.Fixed64Type && (num == 7 || num == 8):
			t, m := protowire.ConsumeFixed64(b)
			if m < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
			}
			if num == 7 {
				sd.start = int64(t)
			} else {
				sd.end = int64(t)
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
		}
		b = b[m:]
	}
	return nil
}

// statusCode reads Status.code (field 3).
func statusCode(b []byte) int32 {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0
		}
		b = b[n:]
		if num == 3 && typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(b)
			return int32(v)
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return 0
		}
		b = b[m:]
	}
	return 0
}

// parseAttr reads one KeyValue (key 1, value 2: AnyValue with string_value
// 1 or int_value 3) into its slot, when the key is one the agent reads.
func parseAttr(b []byte, sd *spanData) error {
	var key, val []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.BytesType && (num == 1 || num == 2) {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return protowire.ParseError(m)
			}
			if num == 1 {
				key = v
			} else {
				val = v
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return protowire.ParseError(m)
		}
		b = b[m:]
	}
	slot, ok := attrSlot[string(key)]
	if !ok {
		return nil
	}
	for len(val) > 0 {
		num, typ, n := protowire.ConsumeTag(val)
		if n < 0 {
			return protowire.ParseError(n)
		}
		val = val[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(val)
			if m < 0 {
				return protowire.ParseError(m)
			}
			sd.setAttr(slot, attrVal{b: v})
			return nil
		case num == 3 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(val)
			if m < 0 {
				return protowire.ParseError(m)
			}
			sd.setAttr(slot, attrVal{i: int64(v), isInt: true})
			return nil
		}
		m := protowire.ConsumeFieldValue(num, typ, val)
		if m < 0 {
			return protowire.ParseError(m)
		}
		val = val[m:]
	}
	return nil
}
