"""The web pages a person sees, in a real browser (Debian's chromium, headless, through
selenium): the test-mode checkout page, where Checkout returns to, and the mail list."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.payments.shop import Shop

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail("chromium and chromium-driver are missing: run ./dev.sh setup")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def plain_shop(localstack_root: Any, localstack_ca: Any) -> Iterator[Shop]:
    """A stack over plain HTTP on loopback: the browser needs no test CA."""
    from tests.support.localstack import StackFactory

    factory = StackFactory(localstack_root, localstack_ca)
    shop = Shop(factory(tls=False))
    yield shop
    shop.close()
    factory.stop_all()


def test_pay_decline_and_read_the_receipt_in_a_browser(browser: Any, plain_shop: Shop) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def until(condition: Any) -> Any:  # a click submits; the next page comes when it comes
        return WebDriverWait(browser, 30, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)
                             ).until(lambda d: condition())

    def message() -> str:
        found = browser.find_elements(By.ID, "message")
        return str(found[0].text) if found else ""

    shop = plain_shop
    buyer = shop.customer()
    purchase_id, url = shop.checkout(buyer, "starter")
    browser.get(url)
    assert "Starter: 100 tokens" in browser.find_element(By.ID, "item").text
    assert browser.find_element(By.ID, "amount").text == "10.00 EUR"

    browser.find_element(By.ID, "card-number").send_keys("4000 0000 0000 0002")
    browser.find_element(By.ID, "pay-button").click()
    until(lambda: message() == "Your card was declined.")
    assert shop.balance(buyer) == 0

    browser.find_element(By.ID, "card-number").send_keys("4242 4242 4242 4242")
    browser.find_element(By.ID, "pay-button").click()
    until(lambda: "/local/checkout/done" in browser.current_url)
    assert purchase_id in browser.current_url
    until(lambda: "payment went through" in message())
    assert shop.balance(buyer) == 100

    shop.mail_to(buyer.email, subject_has="Receipt")
    browser.get(f"{shop.stack.url}/local/mail")
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Receipt: 100 tokens")
    row = link.find_element(By.XPATH, "./ancestor::tr")
    assert buyer.email in row.text
    link.click()
    until(lambda: browser.find_elements(By.ID, "body"))
    body = browser.find_element(By.ID, "body").text
    assert "100 tokens were added to your balance" in body and purchase_id in body
