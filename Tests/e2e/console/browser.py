#!/usr/bin/env python3
"""Drives Debian's chromium (headless, through chromium-driver) with selenium through the console the way
an admin following the Okta guide does: sign in through the IdP (idp.py serve), create a SCIM token and
read its secret once, switch provisioning off and on, push a user the way Okta does with that token,
and open the user's Slurm attributes. Screenshots go to --shots. Prints one JSON line of what it saw;
the Swift test (ConsoleBrowserTests) checks it and the database.

  browser.py --base http://127.0.0.1:PORT --org ORG --shots DIR
"""
import argparse
import json
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQwuexkUkfmgaRc8TfBKQn5whYd06jzr41VYHQrQER8 ada@laptop"
OKTA_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser"],
    "userName": "grace.hopper@example.com", "name": {"givenName": "Grace", "familyName": "Hopper"},
    "emails": [{"primary": True, "value": "grace.hopper@example.com", "type": "work"}],
    "externalId": "00u1grace", "active": True,
    "urn:coreweave:params:scim:schemas:extension:coreweave:2.0:CoreWeaveUser": {
        "sunkSshKeys": [KEY], "sunkPosixUsername": "grace", "sunkPosixUserId": 100002.0, "sunkLoginShell": "/bin/bash"},
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--shots", required=True)
    args = p.parse_args()
    console = f"{args.base}/console/{args.org}"

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    seen = {}
    try:
        wait = WebDriverWait(driver, 30)
        shot = lambda name: driver.save_screenshot(f"{args.shots}/{name}.png")

        # 1. sign in: console -> IdP (auto-posting form) -> ACS -> the page asked for
        driver.get(console + "/scim")
        wait.until(EC.presence_of_element_located((By.ID, "admin")))
        seen["signedInAs"] = driver.find_element(By.ID, "admin").text
        seen["afterSignIn"] = driver.current_url
        shot("01-signed-in-scim-configuration")

        # 2. create a SCIM token: the secret shown once
        create = driver.find_element(By.CSS_SELECTOR, "form[action$='/scim/tokens']")
        create.find_element(By.NAME, "name").send_keys("Okta ID")
        create.find_element(By.TAG_NAME, "button").click()
        secret = wait.until(EC.presence_of_element_located((By.ID, "new-secret"))).text
        seen["secret"] = secret
        shot("02-token-created-secret-once")
        driver.get(console + "/scim")
        seen["secretShownAgain"] = secret in driver.page_source
        seen["tokenListed"] = "Okta ID" in driver.page_source

        # 3. provisioning off, then on
        def set_provisioning(on):
            box = driver.find_element(By.NAME, "provisioning")
            if box.is_selected() != on:
                box.click()
            button = driver.find_element(By.XPATH, "//form[contains(@action,'/scim/switches')]//button")
            button.click()
            wait.until(EC.staleness_of(button))   # the answer page, not the one the form was on
            return wait.until(EC.presence_of_element_located((By.ID, "provisioning-state"))).text
        seen["provisioningOff"] = set_provisioning(False)
        shot("03-provisioning-off")
        seen["provisioningOn"] = set_provisioning(True)
        shot("04-provisioning-on")

        # 4. Okta pushes a user with the token; the admin opens View Details -> Slurm Attributes
        request = urllib.request.Request(f"{args.base}/scim/{args.org}/Users", data=json.dumps(OKTA_USER).encode(),
                                         method="POST", headers={"Authorization": f"Bearer {secret}",
                                                                 "Content-Type": "application/scim+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            seen["pushStatus"] = response.status
        driver.get(console + "/users")
        shot("05-users")
        link = driver.find_element(By.LINK_TEXT, "View Details")
        link.click()
        wait.until(EC.staleness_of(link))
        wait.until(EC.presence_of_element_located((By.ID, "posix-name")))
        seen["posixName"] = driver.find_element(By.ID, "posix-name").text
        seen["uid"] = driver.find_element(By.ID, "uid").text
        seen["fingerprintShown"] = "SHA256:cg5qbROyUy8FTtvimbmLrT41AVo3XG9bfZRKABpm/Pg" in driver.page_source
        shot("06-slurm-attributes")

        # 5. sign out
        driver.find_element(By.XPATH, "//form[@class='signout']//button").click()
        wait.until(EC.url_contains("/signed-out"))
        seen["afterSignOut"] = driver.current_url
        shot("07-signed-out")
    finally:
        driver.quit()
    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    sys.exit(main())
