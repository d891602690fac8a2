package tool

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"
)

// NewFlags returns a flag set whose errors are reported by Parse, in one line.
func NewFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// Parse parses os.Args; a bad command line prints one line on stderr and exits 2.
func Parse(fs *flag.FlagSet, usage string) {
	err := fs.Parse(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Println("usage: " + usage)
		os.Exit(0)
	case err != nil:
		fmt.Fprintf(os.Stderr, "%s: %v; usage: %s\n", fs.Name(), err, usage)
		os.Exit(2)
	case fs.NArg() > 0:
		fmt.Fprintf(os.Stderr, "%s: unexpected argument: %s\n", fs.Name(), fs.Arg(0))
		os.Exit(2)
	}
}

// ID is a process or user id flag: a u32 other than (u32)-1, which the BPF side reserves
// for "any".
type ID uint32

func (id *ID) String() string { return strconv.FormatUint(uint64(*id), 10) }

func (id *ID) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == math.MaxUint32 {
		return errors.New("not an id")
	}
	*id = ID(v)
	return nil
}

// Seconds is a positive duration flag given in (possibly fractional) seconds.
type Seconds time.Duration

func (d *Seconds) String() string { return time.Duration(*d).String() }

func (d *Seconds) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || v > math.MaxInt64/float64(time.Second) {
		return errors.New("not a positive number of seconds")
	}
	*d = Seconds(v * float64(time.Second))
	return nil
}
