"""Rule cases: (rule id, language, code, changed lines or None for every line, expected lines)."""

from __future__ import annotations

from textwrap import dedent

Case = tuple[str, str, str, frozenset[int] | None, list[int]]


def case(rule_id: str, language: str, code: str, expected: list[int], changed=None) -> Case:
    return (rule_id, language, dedent(code), changed, expected)


PYTHON_CASES: list[Case] = [
    # PY001 mutable default argument
    case("PY001", "python", "def f(items=[]):\n    return items\n", [1]),
    case("PY001", "python", "def f(cache: dict = {}, *, seen=set()):\n    pass\n", [1]),
    case("PY001", "python", "def f(items=None, name='x', size=(1, 2)):\n    pass\n", []),
    # PY002 bare except
    case(
        "PY002",
        "python",
        """\
        try:
            work()
        except:
            log()
        """,
        [3],
    ),
    case(
        "PY002",
        "python",
        """\
        try:
            work()
        except:
            cleanup()
            raise
        try:
            work()
        except ValueError:
            log()
        """,
        [],
    ),
    # PY003 swallowed exception
    case(
        "PY003",
        "python",
        """\
        try:
            work()
        except Exception:
            pass
        for item in items:
            try:
                work(item)
            except (ValueError, BaseException) as error:
                continue
        """,
        [3, 8],
    ),
    case(
        "PY003",
        "python",
        """\
        try:
            import fast
        except ImportError:
            pass
        try:
            work()
        except Exception as error:
            log(error)
        """,
        [],
    ),
    # PY004 == None
    case("PY004", "python", "if value == None:\n    pass\nok = None != other\n", [1, 3]),
    case("PY004", "python", "if value is None:\n    pass\nsame = a == b\n", []),
    # PY005 is with literal
    case("PY005", "python", "if name is 'admin':\n    pass\nflag = count is not 0\n", [1, 3]),
    case("PY005", "python", "if name is None or flag is True or x is SENTINEL:\n    pass\n", []),
    # PY006 SQL formatting
    case(
        "PY006",
        "python",
        """\
        cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")
        cursor.execute("DELETE FROM t WHERE name = '%s'" % name)
        def find(db, name):
            query = "SELECT id FROM users WHERE name = '" + name + "'"
            return db.execute(query)
        """,
        [1, 2, 5],
    ),
    case(
        "PY006",
        "python",
        """\
        cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))
        cursor.execute(f"VACUUM")
        runner.execute(f"build {target}")
        """,
        [],
    ),
    # PY007 assert on tuple
    case("PY007", "python", 'assert (x > 0, "x must be positive")\n', [1]),
    case("PY007", "python", 'assert x > 0, "x must be positive"\nassert (x > 0)\n', []),
    # PY008 open without close
    case(
        "PY008",
        "python",
        """\
        def read(path):
            handle = open(path)
            return handle.read()
        """,
        [2],
    ),
    case(
        "PY008",
        "python",
        """\
        def read(path):
            handle = open(path)
            try:
                return handle.read()
            finally:
                handle.close()
        def opener(path):
            handle = open(path)
            return handle
        def lines(path):
            with open(path) as handle:
                return list(handle)
        """,
        [],
    ),
    case(
        "PY008",
        "python",
        """\
        def export(rows, path):
            handle = open(path, "w")
            writer = csv.writer(handle)
            writer.writerows(rows)
        """,
        [2],
    ),
    case(
        "PY008",
        "python",
        """\
        def text_stream(path):
            raw = open(path, "rb")
            return io.TextIOWrapper(raw)
        class Log:
            def __init__(self, path):
                stream = open(path, "a")
                self.writer = Writer(stream)
        def lines(path):
            handle = open(path)
            with closing(handle):
                return handle.read()
        """,
        [],
    ),
    # PY009 off-by-one
    case(
        "PY009",
        "python",
        """\
        last = items[len(items)]
        for i in range(len(items) + 1):
            print(items[i])
        """,
        [1, 2],
    ),
    case(
        "PY009",
        "python",
        """\
        last = items[len(items) - 1]
        memo[len(memo)] = value
        for i in range(len(items)):
            print(items[i])
        for i in range(len(items) + 1):
            print(prefix[i])
        """,
        [],
    ),
    # PY003: a commented swallow, a best-effort close, a rollback while handling an error: none.
    case(
        "PY003",
        "python",
        """\
        def f(obj):
            try:
                obj.close()
            except Exception:
                pass
            try:
                work()
            except Exception:
                try:
                    obj.rollback()
                except Exception:
                    pass
                raise
            try:
                load()
            except Exception:
                # the help page must work without an app
                pass
            try:
                work()
            except Exception:
                pass
        """,
        [21],
    ),
    # PY011: values from a literal loop, a temporary file or shlex.quote cannot inject.
    case(
        "PY011",
        "python",
        """\
        import os, shlex, tempfile
        def find(user_editor):
            for editor in "vim", "nano":
                os.system("which %s" % editor)
            fd, name = tempfile.mkstemp()
            os.system(f"more {name}")
            os.system("vi " + shlex.quote(user_editor))
            os.system("vi " + user_editor)
        """,
        [8],
    ),
    # PY006: values already passed as parameters, or constants formatted in: no finding.
    case(
        "PY006",
        "python",
        """\
        def load(cursor, table, user):
            cursor.execute(f"SELECT * FROM {table} WHERE name = ?", (user,))
            TABLE = "users"
            cursor.execute(f"SELECT * FROM {TABLE}")
            cursor.execute(f"SELECT * FROM users WHERE name = '{user}'")
        """,
        [5],
    ),
    # PY011 shell command from values
    case(
        "PY011",
        "python",
        """\
        import subprocess, os
        subprocess.run(f"tar xf {archive}", shell=True)
        os.system("rm -rf " + path)
        """,
        [2, 3],
    ),
    case(
        "PY011",
        "python",
        """\
        import subprocess, os
        subprocess.run(["tar", "xf", archive])
        subprocess.run(f"tar xf {archive}", shell=False)
        subprocess.run("make all", shell=True)
        os.system("make")
        """,
        [],
    ),
    # PY012 yaml.load without Loader
    case("PY012", "python", "import yaml\ndata = yaml.load(stream)\n", [2]),
    case(
        "PY012",
        "python",
        "import yaml\na = yaml.load(s, Loader=yaml.SafeLoader)\nb = yaml.safe_load(s)\n"
        "c = yaml.load(s, yaml.SafeLoader)\n",
        [],
    ),
    # PY013 requests without timeout
    case("PY013", "python", "import requests\nr = requests.get(url, params=q)\n", [2]),
    case(
        "PY013",
        "python",
        "import requests\nr = requests.get(url, timeout=5)\ns = requests.post(url, **options)\n"
        "t = session.get(url)\n",
        [],
    ),
    # PY014 mutation while iterating
    case(
        "PY014",
        "python",
        """\
        for item in items:
            if item.done:
                items.remove(item)
        for key in self.table:
            del self.table[key]
        """,
        [3, 5],
    ),
    case(
        "PY014",
        "python",
        """\
        for item in list(items):
            items.remove(item)
        for item in items:
            if item.done:
                items.remove(item)
                break
        for item in items:
            others.append(item)
        for task in queue:
            queue.extend(task.children)
        """,
        [],
    ),
    # PY015 jump out of finally
    case(
        "PY015",
        "python",
        """\
        def f():
            try:
                return work()
            finally:
                return None
        """,
        [5],
    ),
    case(
        "PY015",
        "python",
        """\
        def f():
            try:
                work()
            finally:
                for item in items:
                    if item:
                        break
                def inner():
                    return 1
        """,
        [],
    ),
    # PY016 comparison with no effect
    case("PY016", "python", "def reset(self):\n    self.count == 0\n", [2]),
    case("PY016", "python", "def reset(self):\n    self.count = 0\n    assert a == b\n", []),
    # A comparison run for the error it raises (attrs, aiohttp tests): not dropped by mistake.
    case(
        "PY016",
        "python",
        "def test_order(a, b):\n    with pytest.raises(TypeError) as info:\n        a < b\n"
        "    with self.assertRaisesRegex(ValueError, 'x'):\n        a == b\n"
        "    with open(p) as f:\n        a == b\n",
        [7],
    ),
    # PY017 unreachable code
    case(
        "PY017",
        "python",
        """\
        def f():
            return 1
            cleanup()
        """,
        [3],
    ),
    case(
        "PY017",
        "python",
        """\
        def f():
            if x:
                return 1
            cleanup()
        def gen():
            return
            yield
        """,
        [],
    ),
    # PY018 blocking sleep in async def
    case("PY018", "python", "import time\nasync def poll():\n    time.sleep(1)\n", [3]),
    case(
        "PY018",
        "python",
        "import time, asyncio\nasync def poll():\n    await asyncio.sleep(1)\n"
        "def wait():\n    time.sleep(1)\n",
        [],
    ),
    # PY019 coroutine without await
    case(
        "PY019",
        "python",
        """\
        async def save(item):
            pass
        class Store:
            async def flush(self):
                pass
            async def close(self):
                self.flush()
        async def main():
            save(1)
            if save(2):
                pass
        """,
        [7, 9, 10],
    ),
    case(
        "PY019",
        "python",
        """\
        async def save(item):
            pass
        def load():
            pass
        async def main():
            await save(1)
            task = asyncio.create_task(save(2))
            load()
        """,
        [],
    ),
    # PY020 naive UTC datetime
    case(
        "PY020",
        "python",
        "from datetime import datetime\nnow = datetime.utcnow()\n"
        "then = datetime.datetime.utcfromtimestamp(ts)\n",
        [2, 3],
    ),
    case(
        "PY020",
        "python",
        "from datetime import datetime, timezone\nnow = datetime.now(timezone.utc)\n",
        [],
    ),
    # PY021 possibly-None result used directly
    case(
        "PY021",
        "python",
        """\
        import re, os
        year = re.match(r"(\\d+)", text).group(1)
        port = settings.get("port")[0]
        home = os.environ.get("HOME").rstrip("/")
        """,
        [2, 3, 4],
    ),
    case(
        "PY021",
        "python",
        """\
        import re, os
        match = re.match(r"(\\d+)", text)
        port = settings.get("port", [80])[0]
        home = os.environ.get("HOME", "/").rstrip("/")
        data = requests.get(url).json()
        """,
        [],
    ),
]

JAVASCRIPT_CASES: list[Case] = [
    # JS001 missing await
    case(
        "JS001",
        "javascript",
        """\
        async function save(item) {}
        class Store {
          async flush() {}
          async close() { this.flush(); }
        }
        async function main() {
          save(1);
          if (save(2)) {}
        }
        """,
        [4, 7, 8],
    ),
    case(
        "JS001",
        "typescript",
        """\
        async function save(item: number): Promise<void> {}
        function log(text: string): void {}
        async function main(): Promise<void> {
          await save(1);
          log("x");
          void save(2);
        }
        function fireAndForget(): void { save(3); }
        """,
        [],
    ),
    case(
        "JS001",
        "tsx",
        "const load = async () => 1;\nasync function run() { load(); }\n",
        [2],
    ),
    # JS013 JSON.parse outside try
    case(
        "JS013",
        "javascript",
        "function tiers(response) {\n  return JSON.parse(response.body);\n}\n",
        [2],
    ),
    case(
        "JS013",
        "typescript",
        """\
        function load(raw: string) {
          try {
            return JSON.parse(raw);
          } catch (error) {
            return null;
          }
        }
        const copy = JSON.parse(JSON.stringify(state));
        const fixed = JSON.parse('{"a": 1}');
        """,
        [],
    ),
    # JS002 loose equality
    case("JS002", "javascript", "if (a == b) {}\nconst c = x != 0;\n", [1, 2]),
    case(
        "JS002",
        "javascript",
        "if (a === b) {}\nif (x == null) {}\nif (typeof x == 'string') {}\n",
        [],
    ),
    # JS003 promise without rejection handler
    case("JS003", "javascript", "fetchData().then(render);\n", [1]),
    case(
        "JS003",
        "javascript",
        "fetchData().then(render).catch(report);\nfetchData().then(render, report);\n"
        "async function f() { await fetchData().then(render); }\n",
        [],
    ),
    # JS004 empty catch
    case("JS004", "typescript", "try { work(); } catch (e) {}\n", [1]),
    case(
        "JS004",
        "javascript",
        "try { work(); } catch (e) { report(e); }\ntry { work(); } catch {\n  // optional\n}\n",
        [],
    ),
    # JS005 for...in over an array
    case(
        "JS005",
        "javascript",
        "const items = [1, 2, 3];\nfor (const i in items) {}\n"
        "for (const k in Object.keys(obj)) {}\n",
        [2, 3],
    ),
    case(
        "JS005",
        "javascript",
        "const options = { a: 1 };\nfor (const key in options) {}\n"
        "const items = [1];\nfor (const item of items) {}\n",
        [],
    ),
    # JS006 assignment in condition
    case("JS006", "javascript", "if (user = find(id)) {}\nwhile (node = node.next) {}\n", [1, 2]),
    case(
        "JS006",
        "javascript",
        "if (user === find(id)) {}\nwhile ((match = re.exec(s))) {}\n",
        [],
    ),
    # JS007 parseInt without radix
    case("JS007", "javascript", "const n = parseInt(input);\n", [1]),
    case("JS007", "javascript", "const n = parseInt(input, 10);\nconst m = Number(x);\n", []),
    # JS008 timer with a string
    case("JS008", "javascript", "setTimeout('refresh()', 100);\n", [1]),
    case("JS008", "javascript", "setTimeout(() => refresh(), 100);\nsetInterval(tick, 5);\n", []),
    # JS009 loop past the end
    case(
        "JS009",
        "javascript",
        "for (let i = 0; i <= items.length; i++) { total += items[i]; }\n",
        [1],
    ),
    case(
        "JS009",
        "javascript",
        "for (let i = 0; i < items.length; i++) { total += items[i]; }\n"
        "for (let n = 1; n <= items.length; n++) { print(n); }\n",
        [],
    ),
    # JS010 async callback to forEach
    case("JS010", "typescript", "items.forEach(async (item) => { await save(item); });\n", [1]),
    case(
        "JS010",
        "javascript",
        "items.forEach((item) => save(item));\nawait Promise.all(items.map(async (i) => f(i)));\n",
        [],
    ),
    # JS011 comparison with NaN
    case("JS011", "javascript", "if (value === NaN) {}\nif (x != Number.NaN) {}\n", [1, 2]),
    case("JS011", "javascript", "if (Number.isNaN(value)) {}\n", []),
    # JS012 typeof typo
    case("JS012", "javascript", "if (typeof x === 'undefiend') {}\n", [1]),
    case(
        "JS012",
        "javascript",
        "if (typeof x === 'undefined') {}\nif (typeof f == 'function') {}\n",
        [],
    ),
]

GO_CASES: list[Case] = [
    # GO001 error discarded
    case(
        "GO001",
        "go",
        """\
        package p
        func save() error { return nil }
        func f(s string) int {
        \tn, _ := strconv.Atoi(s)
        \t_ = save()
        \treturn n
        }
        """,
        [4, 5],
    ),
    case(
        "GO001",
        "go",
        """\
        package p
        func pair() (int, bool) { return 1, true }
        func f(m map[string]int) {
        \tv, _ := m["k"]
        \tw, _ := pair()
        \tdir, _ := filepath.Split(p)
        \thome, _ := os.LookupEnv("HOME")
        \tn, err := strconv.Atoi(s)
        }
        """,
        [],
    ),
    # GO002 nil returned after error check
    case(
        "GO002",
        "go",
        """\
        package p
        func load() (*Config, error) {
        \tdata, err := read()
        \tif err != nil {
        \t\treturn nil, nil
        \t}
        \treturn parse(data), nil
        }
        """,
        [5],
    ),
    case(
        "GO002",
        "go",
        """\
        package p
        func load() (*Config, error) {
        \tdata, err := read()
        \tif err != nil {
        \t\treturn nil, err
        \t}
        \treturn parse(data), nil
        }
        func count() int {
        \tif err != nil {
        \t\treturn 0
        \t}
        \treturn 1
        }
        """,
        [],
    ),
    # GO003 loop past the end
    case(
        "GO003",
        "go",
        "package p\nfunc f(xs []int) {\n"
        "\tfor i := 0; i <= len(xs); i++ {\n\t\tuse(xs[i])\n\t}\n}\n",
        [3],
    ),
    case(
        "GO003",
        "go",
        "package p\nfunc f(xs []int) {\n\tfor i := 0; i < len(xs); i++ {\n\t\tuse(xs[i])\n\t}\n}\n",
        [],
    ),
    # GO004 lock without unlock
    case(
        "GO004",
        "go",
        "package p\nfunc (c *C) Add() {\n\tc.mu.Lock()\n\tc.n++\n}\n",
        [3],
    ),
    case(
        "GO004",
        "go",
        "package p\nfunc (c *C) Add() {\n\tc.mu.Lock()\n\tdefer c.mu.Unlock()\n\tc.n++\n}\n"
        "func (c *C) Get() int {\n\tc.mu.RLock()\n\tn := c.n\n\tc.mu.RUnlock()\n\treturn n\n}\n",
        [],
    ),
    # GO005 defer in loop
    case(
        "GO005",
        "go",
        "package p\nfunc f(ps []string) {\n\tfor _, p := range ps {\n"
        "\t\tfile, _ := os.Open(p)\n\t\tdefer file.Close()\n\t}\n}\n",
        [5],
    ),
    case(
        "GO005",
        "go",
        "package p\nfunc f(ps []string) {\n\tfor _, p := range ps {\n"
        "\t\tfunc() {\n\t\t\tfile, _ := os.Open(p)\n\t\t\tdefer file.Close()\n\t\t}()\n\t}\n}\n",
        [],
    ),
]

JAVA_CASES: list[Case] = [
    # JAVA001 string ==
    case(
        "JAVA001",
        "java",
        'class A {\n  boolean f(String s) {\n    return s == "admin" || "x" != s;\n  }\n}\n',
        [3],
    ),
    case(
        "JAVA001",
        "java",
        'class A {\n  boolean f(String s) {\n    return "admin".equals(s) || s == null;\n  }\n}\n',
        [],
    ),
    # JAVA002 empty catch
    case(
        "JAVA002",
        "java",
        "class A {\n  void f() {\n    try { g(); } catch (IOException e) {}\n  }\n}\n",
        [3],
    ),
    case(
        "JAVA002",
        "java",
        "class A {\n  void f() {\n    try { g(); } catch (IOException ignored) {}\n"
        "    try { g(); } catch (IOException e) { log(e); }\n"
        "    try { g(); } catch (IOException e) {\n      // fine: best effort\n    }\n  }\n}\n",
        [],
    ),
    # JAVA003 loop past the end
    case(
        "JAVA003",
        "java",
        "class A {\n  void f(int[] xs, List<String> ys) {\n"
        "    for (int i = 0; i <= xs.length; i++) { use(xs[i]); }\n"
        "    for (int j = 0; j <= ys.size(); j++) { use(ys.get(j)); }\n  }\n}\n",
        [3, 4],
    ),
    case(
        "JAVA003",
        "java",
        "class A {\n  void f(int[] xs) {\n"
        "    for (int i = 0; i < xs.length; i++) { use(xs[i]); }\n"
        "    for (int n = 1; n <= xs.length; n++) { print(n); }\n  }\n}\n",
        [],
    ),
    # JAVA004 equals without hashCode
    case(
        "JAVA004",
        "java",
        "class Point {\n  @Override\n  public boolean equals(Object o) { return true; }\n}\n",
        [3],
    ),
    case(
        "JAVA004",
        "java",
        "class Point {\n  public boolean equals(Object o) { return true; }\n"
        "  public int hashCode() { return 1; }\n}\n",
        [],
    ),
    # JAVA005 stream outside try-with-resources
    case(
        "JAVA005",
        "java",
        "class A {\n  int f(File file) throws IOException {\n"
        "    InputStream in = new FileInputStream(file);\n    return in.read();\n  }\n}\n",
        [3],
    ),
    case(
        "JAVA005",
        "java",
        "class A {\n  int f(File file) throws IOException {\n"
        "    try (InputStream in = new FileInputStream(file)) { return in.read(); }\n  }\n"
        "  InputStream g(File file) throws IOException {\n"
        "    InputStream in = new FileInputStream(file);\n    return in;\n  }\n"
        "  void h(File file) throws IOException {\n"
        "    Reader r = new FileReader(file);\n"
        "    try { r.read(); } finally { r.close(); }\n  }\n}\n",
        [],
    ),
    # JAVA006 InterruptedException swallowed
    case(
        "JAVA006",
        "java",
        "class A {\n  void f() {\n    try { Thread.sleep(10); }\n"
        "    catch (InterruptedException e) { log(e); }\n  }\n}\n",
        [4],
    ),
    case(
        "JAVA006",
        "java",
        "class A {\n  void f() {\n    try { Thread.sleep(10); }\n"
        "    catch (InterruptedException e) { Thread.currentThread().interrupt(); }\n"
        "    try { Thread.sleep(10); }\n"
        "    catch (InterruptedException e) { throw new RuntimeException(e); }\n  }\n}\n",
        [],
    ),
]

ALL_CASES: list[Case] = PYTHON_CASES + JAVASCRIPT_CASES + GO_CASES + JAVA_CASES
