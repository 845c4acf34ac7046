package suites

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtParseEntry(t *testing.T) {
	tests := []struct {
		line    string
		facts   map[string]string
		name    string
		wantErr string
	}{
		{"Type=file;Size=1830;Modify=19940916055648;Perm=r; hatch.c",
			map[string]string{"type": "file", "size": "1830", "modify": "19940916055648", "perm": "r"}, "hatch.c", ""},
		{"Type=OS.unix=slink:/foobar;Perm=;Unique=keVO1+4G4; foobar",
			map[string]string{"type": "OS.unix=slink:/foobar", "perm": "", "unique": "keVO1+4G4"}, "foobar", ""},
		{"Type=file;Perm=r;Unique=keVO1+IH4;  leading space", map[string]string{"type": "file", "perm": "r", "unique": "keVO1+IH4"}, " leading space", ""},
		{" /tmp", map[string]string{}, "/tmp", ""},
		{"type=file;size=3 two words", map[string]string{}, "", `do not end with ";"`},
		{"type=file;size; x", map[string]string{}, "", "is not name=value"},
		{"type=file;type=dir; x", map[string]string{}, "", "appears twice"},
		{"type=file", map[string]string{}, "", "no space"},
		{"ty pe=file; x", map[string]string{}, "", `do not end with ";"`},
		{"x/y=1; z", map[string]string{}, "", "has the character"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			e, err := extParseEntry(tt.line)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.facts, e.Facts)
			assert.Equal(t, tt.name, e.Name)
		})
	}
}

func TestExtTimeVal(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"19980615100045", time.Date(1998, 6, 15, 10, 0, 45, 0, time.UTC), false},
		{"19980615100045.014", time.Date(1998, 6, 15, 10, 0, 45, 0, time.UTC), false},
		{"20161231235960", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), false}, // a leap second
		{"19980615100045.", time.Time{}, true},
		{"1998061510004", time.Time{}, true},
		{"09990615100045", time.Time{}, true},
		{"19981315100045", time.Time{}, true},
		{"19980632100045", time.Time{}, true},
		{"19980615240045", time.Time{}, true},
		{"19980615106045", time.Time{}, true},
		{"19980615100061", time.Time{}, true},
		{"1998-06-15 10:00", time.Time{}, true},
		{"19980615100045.01a", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := extTimeVal(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %s", got)
		})
	}
}

func TestMLSTFeatLine(t *testing.T) {
	for line, ok := range map[string]bool{
		" MLST type*;size*;modify*;perm;unique;UNIX.mode;": true,
		" MLST": true,
		" MLST Type*;Size*;Modify*;Perm*;Unique*;UNIX.mode;UNIX.chgd;X.hidden;": true,
		"  MLST type*;":    false,
		" MLST type*;size": false,
		" MLST  type*;":    false,
		" MLST type*;size*;modify*;perm*;unique*;unix.mode;unix.uid;unix.gid;": true,
	} {
		assert.Equal(t, ok, mlstFeatLine.MatchString(line), line)
	}
}
