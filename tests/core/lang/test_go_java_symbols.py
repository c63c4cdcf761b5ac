from argus.core.lang import extract_symbols

from .helpers import rows, source

GO = """
package store

type Store[K comparable] struct {
	items map[K]string
}

type Reader interface {
	Read() string
}

type (
	Key   string
	Entry struct{ value string }
)

func New() *Store[string] {
	build := func() int { return 1 }
	_ = build
	return nil
}

func (s *Store[K]) Get(key K) string {
	return s.items[key]
}

func (e Entry) String() string { return e.value }
"""


def test_go_symbols() -> None:
    assert rows(extract_symbols(source(GO), "go")) == [
        ("class", "Store", 3, 5, 1, None),
        ("class", "Reader", 7, 9, 1, None),
        ("class", "Entry", 13, 13, 1, None),
        ("function", "New", 16, 20, 1, None),
        ("method", "Store.Get", 22, 24, 1, None),
        ("method", "Entry.String", 26, 26, 1, None),
    ]


JAVA = """
package demo;

@Service
public class Orders {
    private final Map<String, Order> byId = new HashMap<>();

    public Orders() {}

    @Override
    public String toString() {
        return "Orders";
    }

    static class Line {
        int total() { return 0; }
    }

    interface Listener {
        void changed(Order order);
    }

    enum Status { OPEN, CLOSED; boolean done() { return this == CLOSED; } }

    record Total(int cents) {
        Total {
        }
    }

    void watch() {
        Runnable task = new Runnable() {
            public void run() {}
        };
        Function<Integer, Integer> twice = x -> x * 2;
    }
}
"""


def test_java_symbols() -> None:
    assert rows(extract_symbols(source(JAVA), "java")) == [
        ("class", "Orders", 3, 35, 1, None),
        ("method", "Orders.Orders", 7, 7, 1, "Orders"),
        ("method", "Orders.toString", 9, 12, 1, "Orders"),
        ("class", "Orders.Line", 14, 16, 1, "Orders"),
        ("method", "Orders.Line.total", 15, 15, 1, "Orders.Line"),
        ("class", "Orders.Listener", 18, 20, 1, "Orders"),
        ("method", "Orders.Listener.changed", 19, 19, 1, "Orders.Listener"),
        ("class", "Orders.Status", 22, 22, 1, "Orders"),
        ("method", "Orders.Status.done", 22, 22, 1, "Orders.Status"),
        ("class", "Orders.Total", 24, 27, 1, "Orders"),
        ("method", "Orders.Total.Total", 25, 26, 1, "Orders.Total"),
        ("method", "Orders.watch", 29, 34, 1, "Orders"),
        ("method", "Orders.watch.run", 31, 31, 1, "Orders.watch"),
    ]
