package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SchemaError says a document is not a run document this version of ftpspec can read.
type SchemaError struct {
	File   string
	Schema string
}

func (e *SchemaError) Error() string {
	if e.Schema == "" {
		return fmt.Sprintf("%s: not an ftpspec run document (no \"schema\" field; want %q)", e.File, SchemaV1)
	}
	return fmt.Sprintf("%s: schema %q is not supported by this ftpspec (it reads %q)", e.File, e.Schema, SchemaV1)
}

// Decode reads one run document from r; name is used in error messages.
func Decode(r io.Reader, name string) (*Run, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", name, err)
	}
	if !strings.HasPrefix(head.Schema, "ftpspec.run/v1") {
		return nil, &SchemaError{File: name, Schema: head.Schema}
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := run.Validate(name); err != nil {
		return nil, err
	}
	return &run, nil
}

// ReadFile reads one run document.
func ReadFile(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Decode(f, path)
}

// Encode writes run as indented JSON.
func Encode(w io.Writer, run *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// WriteFile writes run to path atomically.
func WriteFile(path string, run *Run) error {
	var buf bytes.Buffer
	if run.Schema == "" {
		run.Schema = SchemaV1
	}
	if err := Encode(&buf, run); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// WriteFileAtomic writes data to a temporary file beside path and renames it into place, so a
// reader never sees a half-written report and a crash leaves the old file intact.
func WriteFileAtomic(path string, data []byte) error {
	// The folder is not created: a typo in a path must not make folders anywhere (CheckOutput
	// says so before a run starts).
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write %s: folder %s does not exist", path, dir)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
