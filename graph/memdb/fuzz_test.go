package memdb

import "testing"

// FuzzWALSegment feeds arbitrary bytes to the WAL reader and the record
// decoder: a damaged log must give an error or a torn tail, never a panic.
func FuzzWALSegment(f *testing.F) {
	var e encoder
	e.b = make([]byte, frameHeader)
	e.byte1(recBatch)
	e.uvarint(1)
	b := genBatch(1)
	if err := e.batch(&b); err != nil {
		f.Fatal(err)
	}
	rec := e.b
	// Frame it the way append does.
	framed := frame(nil, rec[frameHeader:])
	f.Add(framed)
	f.Add(append(framed, framed[:20]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, err := parseSegment("wal-0000000000000001.log", data)
		if err != nil {
			return
		}
		for _, r := range recs {
			d := &decoder{b: r.body}
			d.batch()
		}
	})
}
