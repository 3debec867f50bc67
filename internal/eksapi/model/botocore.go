package model

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Botocore is an installed botocore package (the one aws-cli uses).
type Botocore struct {
	Dir     string // the botocore package directory
	Version string
}

// FindBotocore asks the python3 on the PATH where botocore is installed. Only go generate
// and the provenance test use it.
func FindBotocore() (Botocore, error) {
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__));print(botocore.__version__)").Output()
	if err != nil {
		return Botocore{}, fmt.Errorf("python3 cannot import botocore (installed with aws-cli): %w", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return Botocore{}, fmt.Errorf("unexpected answer from python3: %q", out)
	}
	return Botocore{Dir: lines[0], Version: lines[1]}, nil
}

// ReadServiceModel reads the (possibly gzipped) file at path inside the botocore package
// and returns its decompressed bytes and their SHA-256.
func (b Botocore) ReadServiceModel(path string) ([]byte, string, error) {
	rel := strings.TrimPrefix(path, "botocore/")
	f, err := os.ReadFile(filepath.Join(b.Dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, "", err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(f))
		if err != nil {
			return nil, "", err
		}
		if f, err = io.ReadAll(zr); err != nil {
			return nil, "", err
		}
	}
	sum := sha256.Sum256(f)
	return f, hex.EncodeToString(sum[:]), nil
}
