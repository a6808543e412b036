package memdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The write-ahead log is a sequence of segment files wal-<first seq>.log.
// Each record is framed as
//
//	magic u32 | payload length u32 | CRC-32C of payload u32 | payload
//
// and the payload starts with the record type and its sequence number.
// Apply returns only after its record is written and fsynced. On recovery a
// record that is cut short or fails its checksum at the very end of the last
// segment is a torn write (the process died before fsync returned, so the
// batch was never acknowledged) and is cut off. A bad record with valid
// records after it is corruption of acknowledged data: the store refuses to
// open rather than silently drop what follows.

const (
	walMagic      uint32 = 0x52475731 // "RGW1": also the WAL format version
	frameHeader          = 12
	maxRecordSize        = 1 << 30
)

// Record types.
const (
	recBatch byte = iota + 1
	recSweep
	recRunFailed
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type wal struct {
	dir   string
	f     *os.File
	size  int64 // bytes in the current segment
	first uint64
	sync  bool
}

func segmentName(first uint64) string { return fmt.Sprintf("wal-%016x.log", first) }

// segments lists the WAL segments in dir by first sequence number.
func segments(dir string) ([]uint64, error) { return numbered(dir, "wal-", ".log") }

// numbered lists the files in dir named prefix<hex number>suffix, by number.
func numbered(dir, prefix, suffix string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, e := range ents {
		hex, okp := strings.CutPrefix(e.Name(), prefix)
		hex, oks := strings.CutSuffix(hex, suffix)
		if !okp || !oks {
			continue
		}
		if v, err := strconv.ParseUint(hex, 16, 64); err == nil {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, nil
}

// openSegment opens (creating) the segment starting at first for appending.
func openSegment(dir string, first uint64, sync bool) (*wal, error) {
	path := filepath.Join(dir, segmentName(first))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	if _, err := f.Seek(st.Size(), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	if sync {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	return &wal{dir: dir, f: f, size: st.Size(), first: first, sync: sync}, nil
}

// frame wraps payload in a record frame.
func frame(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, walMagic)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, castagnoli))
	return append(dst, payload...)
}

// append writes one record and fsyncs it. rec starts with frameHeader
// bytes reserved for the frame header, which append fills in: the payload
// is encoded once and never copied. On failure append cuts the segment back
// to where it was, so a half-written record never precedes later ones; if
// even that fails the log is unusable and the error says so.
func (w *wal) append(rec []byte) error {
	payload := rec[frameHeader:]
	if len(payload) > maxRecordSize {
		return fmt.Errorf("write-ahead log: record of %d bytes exceeds the %d byte limit; split the batch", len(payload), maxRecordSize)
	}
	binary.LittleEndian.PutUint32(rec[0:], walMagic)
	binary.LittleEndian.PutUint32(rec[4:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(rec[8:], crc32.Checksum(payload, castagnoli))
	n, err := w.f.Write(rec)
	if err == nil && w.sync {
		err = w.f.Sync()
	}
	if err != nil {
		if n > 0 {
			if terr := w.f.Truncate(w.size); terr != nil {
				return fmt.Errorf("%w: write-ahead log %s: %v, and cutting back the partial record failed too (%v)", errBroken, w.f.Name(), err, terr)
			}
			if _, serr := w.f.Seek(w.size, io.SeekStart); serr != nil {
				return fmt.Errorf("%w: write-ahead log %s: %v", errBroken, w.f.Name(), serr)
			}
		}
		return fmt.Errorf("write-ahead log %s: %w", w.f.Name(), err)
	}
	w.size += int64(n)
	return nil
}

func (w *wal) close() error {
	if w == nil || w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

var errBroken = errors.New("store is broken")

// walRecord is one decoded frame.
type walRecord struct {
	typ     byte
	seq     uint64
	body    []byte
	segment uint64
	offset  int64
}

// readSegment returns the records of one segment. When the segment ends in
// a torn record, it returns the good records and the offset where the torn
// part starts (tornAt >= 0); corruption followed by valid data is an error.
func readSegment(path string) (recs []walRecord, tornAt int64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, -1, err
	}
	return parseSegment(path, data)
}

// parseSegment is readSegment on bytes already read.
func parseSegment(path string, data []byte) (recs []walRecord, tornAt int64, err error) {
	off := 0
	for off < len(data) {
		payload, n, ferr := parseFrame(data[off:])
		if ferr != nil {
			if next := findFrame(data[off+1:]); next >= 0 {
				return nil, -1, fmt.Errorf("%s: record at byte %d is corrupt (%v) and valid records follow at byte %d; refusing to drop acknowledged batches (move the file away to recover up to byte %d)",
					filepath.Base(path), off, ferr, off+1+next, off)
			}
			return recs, int64(off), nil
		}
		if len(payload) < 1 {
			return nil, -1, fmt.Errorf("%s: empty record at byte %d", filepath.Base(path), off)
		}
		seq, k := binary.Uvarint(payload[1:])
		if k <= 0 {
			return nil, -1, fmt.Errorf("%s: record at byte %d has no sequence number", filepath.Base(path), off)
		}
		recs = append(recs, walRecord{typ: payload[0], seq: seq, body: payload[1+k:], offset: int64(off)})
		off += n
	}
	return recs, -1, nil
}

// parseFrame checks one frame at the start of b and returns its payload and
// total size.
func parseFrame(b []byte) ([]byte, int, error) {
	if len(b) < frameHeader {
		return nil, 0, errors.New("frame header cut short")
	}
	if m := binary.LittleEndian.Uint32(b); m != walMagic {
		return nil, 0, fmt.Errorf("bad magic %#x", m)
	}
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if n > maxRecordSize || frameHeader+n > len(b) {
		return nil, 0, fmt.Errorf("record of %d bytes cut short", n)
	}
	payload := b[frameHeader : frameHeader+n]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[8:]) {
		return nil, 0, errors.New("checksum mismatch")
	}
	return payload, frameHeader + n, nil
}

// findFrame returns the offset of the first valid frame in b, or -1.
func findFrame(b []byte) int {
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], walMagic)
	for off := 0; ; {
		i := bytes.Index(b[off:], magic[:])
		if i < 0 {
			return -1
		}
		if _, _, err := parseFrame(b[off+i:]); err == nil {
			return off + i
		}
		off += i + 1
	}
}

// syncDir fsyncs a directory so that created, renamed and removed files in
// it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data dir %s: %w", dir, err)
	}
	return nil
}
