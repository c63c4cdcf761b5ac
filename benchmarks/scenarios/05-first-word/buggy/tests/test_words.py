import unittest

from text.words import headline


class HeadlineTest(unittest.TestCase):
    def test_headline(self):
        self.assertEqual(headline("hello world"), "HELLO")
