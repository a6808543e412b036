package graph

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeBatch reads one JSON batch from r. Errors name the line and column
// and what was expected; unknown fields are rejected so that a misspelt key
// does not silently drop data.
func DecodeBatch(r io.Reader) (Batch, error) {
	var buf bytes.Buffer
	dec := json.NewDecoder(io.TeeReader(bufio.NewReader(r), &buf))
	dec.DisallowUnknownFields()
	var b Batch
	if err := dec.Decode(&b); err != nil {
		return Batch{}, jsonError(buf.Bytes(), dec.InputOffset(), err)
	}
	if dec.More() {
		return Batch{}, jsonError(buf.Bytes(), dec.InputOffset(), errors.New("unexpected data after the batch object"))
	}
	return b, nil
}

func jsonError(data []byte, fallback int64, err error) error {
	off := fallback
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		err = fmt.Errorf("field %s: expected %s, found JSON %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return errors.New("batch JSON: empty input (expected an object)")
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
		err = errors.New("unexpected end of input (truncated?)")
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("batch JSON line %d column %d: %w", line, col, err)
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
